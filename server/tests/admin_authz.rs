//! Who may use the supervision page (issue 12), route by route, over real HTTP on loopback: no
//! cookie, a villager, a manager of another bank, an expired session, and forged forms (no
//! token, a wrong token, a foreign `Origin`, neither `Origin` nor `Referer`). Also the cookie's
//! attributes, and the login form's own protection.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::too_many_lines
)]

mod common;

use common::*;
use huoshui_server::supervision::{SecureCookie, Settings};
use reqwest::StatusCode;
use reqwest::header::{HeaderMap, HeaderValue};

/// A client that follows no redirects and keeps no cookies: every request says exactly what it sends.
fn raw_client() -> reqwest::Client {
    huoshui_core::sync::install_tls_provider();
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

fn set_cookies(h: &HeaderMap) -> Vec<String> {
    h.get_all("set-cookie")
        .iter()
        .map(|v| v.to_str().unwrap().to_owned())
        .collect()
}

fn cookie_value(set: &[String], name: &str) -> Option<String> {
    set.iter()
        .find_map(|c| c.strip_prefix(&format!("{name}=")))
        .map(|rest| rest.split(';').next().unwrap().to_owned())
        .filter(|v| !v.is_empty())
}

/// The value of the first hidden `csrf` field of a page.
fn csrf_of(html: &str) -> String {
    let at = html.find(r#"name="csrf" value=""#).expect("a csrf field");
    let rest = &html[at + r#"name="csrf" value=""#.len()..];
    rest[..rest.find('"').unwrap()].to_owned()
}

/// A browser-like session on the page: its cookie and the token its forms carry.
struct PageSession {
    cookie: String,
    csrf: String,
}

struct Page {
    base: String,
    origin: String,
    http: reqwest::Client,
}

impl Page {
    fn new(p: &Platform) -> Page {
        Page {
            base: p.base.clone(),
            origin: p.base.clone(),
            http: raw_client(),
        }
    }

    /// Opens the login form: (login cookie, form token).
    async fn login_form(&self) -> (String, String) {
        let r = self
            .http
            .get(format!("{}/admin/login", self.base))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::OK);
        let cookie = cookie_value(&set_cookies(r.headers()), "huoshui_admin_login").unwrap();
        let html = r.text().await.unwrap();
        (cookie, csrf_of(&html))
    }

    async fn post_login(
        &self,
        path: &str,
        cookie: &str,
        form: &[(&str, &str)],
    ) -> reqwest::Response {
        self.http
            .post(format!("{}{path}", self.base))
            .header("cookie", format!("huoshui_admin_login={cookie}"))
            .header("origin", &self.origin)
            .form(form)
            .send()
            .await
            .unwrap()
    }

    /// Signs in through the form as demo account `id`; answers the sign-in's response.
    async fn sign_in_response(&self, p: &Platform, id: &str) -> reqwest::Response {
        let phone = p.phone_of(id);
        let (cookie, token) = self.login_form().await;
        let r = self
            .post_login(
                "/admin/login/code",
                &cookie,
                &[("csrf", &token), ("phone", &phone)],
            )
            .await;
        assert_eq!(r.status(), StatusCode::OK);
        let code = p.codes.latest(&phone).unwrap();
        self.post_login(
            "/admin/login",
            &cookie,
            &[("csrf", &token), ("phone", &phone), ("code", &code)],
        )
        .await
    }

    async fn sign_in(&self, p: &Platform, id: &str) -> PageSession {
        let r = self.sign_in_response(p, id).await;
        assert_eq!(r.status(), StatusCode::SEE_OTHER);
        assert_eq!(r.headers()["location"], "/admin/");
        let cookie = cookie_value(&set_cookies(r.headers()), "huoshui_admin").unwrap();
        let page = self.get("/admin/", Some(&cookie)).await;
        assert_eq!(page.status(), StatusCode::OK);
        let csrf = csrf_of(&page.text().await.unwrap());
        PageSession { cookie, csrf }
    }

    async fn get(&self, path: &str, cookie: Option<&str>) -> reqwest::Response {
        let mut req = self
            .http
            .get(format!("{}{path}", self.base))
            .header("accept", "text/html");
        if let Some(c) = cookie {
            req = req.header("cookie", format!("huoshui_admin={c}"));
        }
        req.send().await.unwrap()
    }

    async fn post(
        &self,
        path: &str,
        cookie: Option<&str>,
        origin: Option<&str>,
        referer: Option<&str>,
        form: &[(&str, &str)],
    ) -> reqwest::Response {
        let mut req = self.http.post(format!("{}{path}", self.base)).form(form);
        if let Some(c) = cookie {
            req = req.header("cookie", format!("huoshui_admin={c}"));
        }
        if let Some(o) = origin {
            req = req.header("origin", o);
        }
        if let Some(r) = referer {
            req = req.header("referer", r);
        }
        req.send().await.unwrap()
    }
}

/// A forged form: what is wrong with it, its Origin, its Referer, its fields.
type ForgedCase<'a> = (
    &'a str,
    Option<&'a str>,
    Option<String>,
    Vec<(&'a str, &'a str)>,
);

/// An escalated application of runchang, waiting for the administrator.
async fn escalated_runchang(p: &Platform) -> String {
    let v = p.login("v001").await;
    let id = v.apply(&p.product_of_bank("runchang").await).await;
    p.clock.advance(jiff::SignedDuration::from_mins(11));
    assert_eq!(p.running.sweep_sla().await.unwrap(), 1);
    id
}

/// Every GET route that needs a session.
fn protected_gets() -> Vec<String> {
    let mut v: Vec<String> = [
        "/admin/",
        "/admin/wall",
        "/admin/figures",
        "/admin/figures?part=charts",
        "/admin/escalations",
        "/admin/live",
    ]
    .iter()
    .map(|s| (*s).to_owned())
    .collect();
    for t in huoshui_server::supervision::export::TABLES {
        v.push(format!("/admin/export/{t}.csv"));
    }
    v
}

/// Every POST route that needs a session (for application `id`).
fn protected_posts(id: &str) -> Vec<String> {
    vec![
        "/admin/logout".to_owned(),
        format!("/admin/escalations/{id}/acknowledge"),
        format!("/admin/escalations/{id}/reassign"),
    ]
}

async fn still_escalated(p: &Platform, id: &str) -> bool {
    let admin = p.login("admin").await;
    let d = admin.get(&format!("/v1/applications/{id}")).await;
    !d.body["events"].as_array().unwrap().iter().any(|e| {
        e["kind"]["type"] == "escalation_acknowledged" || e["kind"]["type"] == "reassigned"
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_a_session_every_admin_route_sends_to_the_login_or_refuses() {
    let tmp = tempdir();
    let p = Platform::start(tmp.path()).await;
    let id = escalated_runchang(&p).await;
    let page = Page::new(&p);
    for path in ["/admin/", "/admin/wall"] {
        let r = page.get(path, None).await;
        assert_eq!(r.status(), StatusCode::SEE_OTHER, "{path}");
        assert_eq!(r.headers()["location"], "/admin/login", "{path}");
    }
    for path in protected_gets().iter().skip(2) {
        let r = page.get(path, None).await;
        assert_eq!(r.status(), StatusCode::UNAUTHORIZED, "{path}");
        assert!(r.text().await.unwrap().contains("请先登录"), "{path}");
    }
    for path in protected_posts(&id) {
        let r = page
            .post(&path, None, Some(&p.base), None, &[("csrf", "0")])
            .await;
        assert_eq!(r.status(), StatusCode::UNAUTHORIZED, "{path}");
    }
    // A cookie that is not a session, and an API token put in the cookie, are no sessions.
    let v = p.login("v001").await;
    for cookie in ["0123", &"a".repeat(64), &v.token] {
        let r = page.get("/admin/figures", Some(cookie)).await;
        assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    }
    // The public part: the login form, the files, the way in.
    assert_eq!(
        page.get("/admin/login", None).await.status(),
        StatusCode::OK
    );
    let js = page.get("/admin/assets/htmx.min.js", None).await;
    assert_eq!(js.status(), StatusCode::OK);
    assert!(js.text().await.unwrap().starts_with("/*! htmx 2.0.11"));
    assert_eq!(
        page.get("/admin/assets/nothing.js", None).await.status(),
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        page.get("/admin", None).await.headers()["location"],
        "/admin/"
    );
    assert_eq!(
        page.get("/admin/nothing", None).await.status(),
        StatusCode::NOT_FOUND
    );
    assert!(still_escalated(&p, &id).await);
    p.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_villager_never_gets_a_session_and_a_villagers_session_opens_nothing() {
    let tmp = tempdir();
    let p = Platform::start(tmp.path()).await;
    let id = escalated_runchang(&p).await;
    let page = Page::new(&p);
    let r = page.sign_in_response(&p, "v001").await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    assert!(
        cookie_value(&set_cookies(r.headers()), "huoshui_admin").is_none(),
        "no session cookie"
    );
    let body = r.text().await.unwrap();
    assert!(
        body.contains("无权访问") && body.contains("村民账号不能进入"),
        "{body}"
    );
    let stored: i64 = p
        .running
        .state
        .db
        .read(|conn| {
            Ok(conn.query_row(
                "SELECT COUNT(*) FROM admin_sessions WHERE user_id = 'v001'",
                [],
                |r| r.get(0),
            )?)
        })
        .await
        .unwrap();
    assert_eq!(stored, 0, "the refused sign-in stored no session");

    // Even a session row that belongs to a villager (say, opened before a role change) is refused.
    let villager = p
        .running
        .state
        .db
        .read(|conn| huoshui_server::accounts::load(conn, "v001"))
        .await
        .unwrap()
        .unwrap();
    let (cookie, csrf) = huoshui_server::supervision::session::open(&p.running.state, &villager)
        .await
        .unwrap();
    for path in protected_gets() {
        let r = page.get(&path, Some(&cookie)).await;
        assert_eq!(r.status(), StatusCode::FORBIDDEN, "{path}");
        assert!(r.text().await.unwrap().contains("无权访问"), "{path}");
    }
    for path in protected_posts(&id) {
        let r = page
            .post(
                &path,
                Some(&cookie),
                Some(&p.base),
                None,
                &[("csrf", &csrf), ("manager_id", "m-runchang-2")],
            )
            .await;
        assert_eq!(r.status(), StatusCode::FORBIDDEN, "{path}");
    }
    assert!(still_escalated(&p, &id).await);
    p.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn another_banks_manager_reads_their_own_bank_only_and_cannot_act() {
    let tmp = tempdir();
    let p = Platform::start(tmp.path()).await;
    let id = escalated_runchang(&p).await;
    let page = Page::new(&p);
    let abc = page.sign_in(&p, "m-abc-1").await;
    for path in protected_gets() {
        if path == "/admin/live" || path.ends_with("villagers.csv") {
            continue;
        }
        let r = page.get(&path, Some(&abc.cookie)).await;
        assert_eq!(r.status(), StatusCode::OK, "{path}");
        let body = r.text().await.unwrap();
        assert!(
            !body.contains(&id),
            "{path} shows another bank's application"
        );
        assert!(!body.contains("润昌农商银行"), "{path} names another bank");
    }
    let csv = page
        .get("/admin/export/by-bank.csv", Some(&abc.cookie))
        .await
        .text()
        .await
        .unwrap();
    assert_eq!(
        csv.lines().count(),
        2,
        "a header and the manager's own bank: {csv}"
    );
    assert!(csv.lines().nth(1).unwrap().starts_with("abc,"));
    assert_eq!(
        page.get("/admin/export/villagers.csv", Some(&abc.cookie))
            .await
            .status(),
        StatusCode::NOT_FOUND,
        "county-wide villager counts are not a bank's"
    );
    for path in protected_posts(&id).iter().skip(1) {
        let r = page
            .post(
                path,
                Some(&abc.cookie),
                Some(&p.base),
                None,
                &[("csrf", &abc.csrf), ("manager_id", "m-runchang-2")],
            )
            .await;
        assert_eq!(r.status(), StatusCode::FORBIDDEN, "{path}");
    }
    // The same holds for a manager of the application's own bank: the page is read-only.
    let runchang = page.sign_in(&p, "m-runchang-1").await;
    let r = page
        .post(
            &format!("/admin/escalations/{id}/acknowledge"),
            Some(&runchang.cookie),
            Some(&p.base),
            None,
            &[("csrf", &runchang.csrf)],
        )
        .await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    assert!(still_escalated(&p, &id).await);

    // The live stream keeps another bank's applications out.
    let mut stream = page
        .http
        .get(format!("{}/admin/live", p.base))
        .header("cookie", format!("huoshui_admin={}", abc.cookie))
        .send()
        .await
        .unwrap();
    assert_eq!(stream.status(), StatusCode::OK);
    let v = p.login("v002").await;
    let other = v.apply(&p.product_of_bank("runchang").await).await;
    let own = v.apply(&p.product_of_bank("abc").await).await;
    let mut seen = String::new();
    while !seen.contains(&own) {
        let chunk = tokio::time::timeout(std::time::Duration::from_secs(10), stream.chunk())
            .await
            .unwrap()
            .unwrap()
            .unwrap();
        seen.push_str(&String::from_utf8_lossy(&chunk));
    }
    assert!(
        !seen.contains(&other),
        "the runchang application stayed out of the abc stream: {seen}"
    );
    p.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_forged_form_changes_nothing() {
    let tmp = tempdir();
    let p = Platform::start(tmp.path()).await;
    let id = escalated_runchang(&p).await;
    let page = Page::new(&p);
    let admin = page.sign_in(&p, "admin").await;
    let ack = format!("/admin/escalations/{id}/acknowledge");
    let reassign = format!("/admin/escalations/{id}/reassign");
    let good = admin.csrf.as_str();
    let same = p.base.as_str();
    let cases: Vec<ForgedCase> = vec![
        ("no token", Some(same), None, vec![]),
        ("an empty token", Some(same), None, vec![("csrf", "")]),
        ("a wrong token", Some(same), None, vec![("csrf", "00ff")]),
        (
            "another session's token",
            Some(same),
            None,
            vec![("csrf", "b".repeat(64).leak())],
        ),
        (
            "a foreign Origin",
            Some("http://evil.example"),
            None,
            vec![("csrf", good)],
        ),
        ("Origin null", Some("null"), None, vec![("csrf", good)]),
        (
            "the same host under https",
            Some(&*format!("https://{}", &same[7..]).leak()),
            None,
            vec![("csrf", good)],
        ),
        (
            "neither Origin nor Referer",
            None,
            None,
            vec![("csrf", good)],
        ),
        (
            "a foreign Referer",
            None,
            Some("http://evil.example/admin/".to_owned()),
            vec![("csrf", good)],
        ),
        (
            "a Referer on a look-alike host",
            None,
            Some(format!("{same}.evil.example/admin/")),
            vec![("csrf", good)],
        ),
    ];
    for (what, origin, referer, form) in &cases {
        for path in [&ack, &reassign, &"/admin/logout".to_owned()] {
            let mut f = form.clone();
            f.push(("manager_id", "m-runchang-2"));
            let r = page
                .post(path, Some(&admin.cookie), *origin, referer.as_deref(), &f)
                .await;
            assert_eq!(r.status(), StatusCode::FORBIDDEN, "{what}: {path}");
            assert!(
                r.text().await.unwrap().contains("请求无效"),
                "{what}: {path}"
            );
        }
    }
    assert!(
        still_escalated(&p, &id).await,
        "no forged form did anything"
    );
    assert_eq!(
        page.get("/admin/figures", Some(&admin.cookie))
            .await
            .status(),
        StatusCode::OK,
        "the session survived"
    );

    // A form the page itself sends: same Origin (or, without one, a same-site Referer) and the token.
    let r = page
        .post(
            &ack,
            Some(&admin.cookie),
            None,
            Some(&format!("{same}/admin/")),
            &[("csrf", good)],
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert!(!still_escalated(&p, &id).await);

    // The login form: its token must equal its cookie, from this site; no code is sent otherwise.
    let (cookie, token) = page.login_form().await;
    let phone = p.phone_of("admin");
    let forged_code = page
        .http
        .post(format!("{}/admin/login/code", p.base))
        .header("cookie", format!("huoshui_admin_login={cookie}"))
        .header("origin", "http://evil.example")
        .form(&[("csrf", token.as_str()), ("phone", phone.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(forged_code.status(), StatusCode::FORBIDDEN);
    let no_cookie = page
        .http
        .post(format!("{}/admin/login/code", p.base))
        .header("origin", same)
        .form(&[("csrf", token.as_str()), ("phone", phone.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(no_cookie.status(), StatusCode::FORBIDDEN);
    let before = p.codes.latest(&phone);
    let r = page
        .post_login(
            "/admin/login/code",
            &cookie,
            &[("csrf", "0000"), ("phone", &phone)],
        )
        .await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    assert_eq!(
        p.codes.latest(&phone),
        before,
        "no new code was sent for a forged form"
    );

    // Logging out with the token ends the session.
    let r = page
        .post(
            "/admin/logout",
            Some(&admin.cookie),
            Some(same),
            None,
            &[("csrf", good)],
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        page.get("/admin/figures", Some(&admin.cookie))
            .await
            .status(),
        StatusCode::UNAUTHORIZED
    );
    p.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_session_cookie_is_http_only_strict_and_ends_after_twelve_hours() {
    let tmp = tempdir();
    let p = Platform::start(tmp.path()).await;
    let page = Page::new(&p);
    let r = page.sign_in_response(&p, "admin").await;
    let set = set_cookies(r.headers());
    let session = set
        .iter()
        .find(|c| c.starts_with("huoshui_admin="))
        .unwrap();
    assert!(session.contains("HttpOnly"), "{session}");
    assert!(session.contains("SameSite=Strict"), "{session}");
    assert!(session.contains("Path=/admin"), "{session}");
    assert!(
        !session.contains("Secure"),
        "plain http on loopback, no proxy header trusted: {session}"
    );
    let cookie = cookie_value(&set, "huoshui_admin").unwrap();
    assert_eq!(
        page.get("/admin/", Some(&cookie)).await.status(),
        StatusCode::OK
    );
    p.clock.advance(jiff::SignedDuration::from_hours(12));
    let r = page.get("/admin/", Some(&cookie)).await;
    assert_eq!(
        r.status(),
        StatusCode::SEE_OTHER,
        "expired after twelve hours"
    );
    // A wrong code: 401 on the form, no cookie.
    let (lc, token) = page.login_form().await;
    let phone = p.phone_of("admin");
    page.post_login(
        "/admin/login/code",
        &lc,
        &[("csrf", &token), ("phone", &phone)],
    )
    .await;
    let code = p.codes.latest(&phone).unwrap();
    let wrong = if code == "000000" { "111111" } else { "000000" };
    let r = page
        .post_login(
            "/admin/login",
            &lc,
            &[("csrf", &token), ("phone", &phone), ("code", wrong)],
        )
        .await;
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    assert!(cookie_value(&set_cookies(r.headers()), "huoshui_admin").is_none());
    assert!(r.text().await.unwrap().contains("验证码错误或已过期"));
    p.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn behind_a_trusted_tls_proxy_the_cookie_is_secure_and_the_origin_is_https() {
    let tmp = tempdir();
    let clock = std::sync::Arc::new(huoshui_server::clock::ManualClock::new(start_time()));
    let codes = std::sync::Arc::new(huoshui_server::auth::DevCodeProvider::new());
    let mut config = huoshui_server::Config::new(
        tmp.path().to_path_buf(),
        huoshui_server::directory::Directory::embedded().unwrap(),
    );
    config.clock = clock.clone();
    config.auth_clock = clock.clone();
    config.codes = codes.clone();
    config.sla_poll = None;
    config.supervision = Settings {
        secure_cookie: SecureCookie::Auto,
        trusted_proto_header: Some(reqwest::header::HeaderName::from_static(
            "x-forwarded-proto",
        )),
    };
    config.database = test_database();
    let running = huoshui_server::start(config).await.unwrap();
    let base = format!("http://{}", running.addr);
    let host = running.addr.to_string();
    let http = raw_client();
    let mut proxied = HeaderMap::new();
    proxied.insert("x-forwarded-proto", HeaderValue::from_static("https"));
    let r = http
        .get(format!("{base}/admin/login"))
        .headers(proxied.clone())
        .send()
        .await
        .unwrap();
    let set = set_cookies(r.headers());
    assert!(set.iter().all(|c| c.contains("Secure")), "{set:?}");
    let login_cookie = cookie_value(&set, "huoshui_admin_login").unwrap();
    let token = csrf_of(&r.text().await.unwrap());
    let phone = "13700000001";
    let send = |origin: String| {
        http.post(format!("{base}/admin/login/code"))
            .headers(proxied.clone())
            .header("cookie", format!("huoshui_admin_login={login_cookie}"))
            .header("origin", origin)
            .form(&[("csrf", token.as_str()), ("phone", phone)])
            .send()
    };
    assert_eq!(
        send(format!("http://{host}")).await.unwrap().status(),
        StatusCode::FORBIDDEN,
        "the browser spoke https"
    );
    assert_eq!(
        send(format!("https://{host}")).await.unwrap().status(),
        StatusCode::OK
    );
    let code = codes.latest(phone).unwrap();
    let r = http
        .post(format!("{base}/admin/login"))
        .headers(proxied.clone())
        .header("cookie", format!("huoshui_admin_login={login_cookie}"))
        .header("origin", format!("https://{host}"))
        .form(&[
            ("csrf", token.as_str()),
            ("phone", phone),
            ("code", code.as_str()),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let session = set_cookies(r.headers())
        .into_iter()
        .find(|c| c.starts_with("huoshui_admin="))
        .unwrap();
    assert!(
        session.contains("Secure")
            && session.contains("HttpOnly")
            && session.contains("SameSite=Strict"),
        "{session}"
    );
    // Without the proxy's header the same server does not claim https.
    let r = http
        .get(format!("{base}/admin/login"))
        .send()
        .await
        .unwrap();
    assert!(
        set_cookies(r.headers())
            .iter()
            .all(|c| !c.contains("Secure"))
    );
    running.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_live_page_beyond_the_stream_cap_closes_the_administrators_oldest() {
    let tmp = tempdir();
    let p =
        Platform::start_configured(tmp.path(), clock(), |c| c.limits.streams_per_user = 2).await;
    let page = Page::new(&p);
    let admin = page.sign_in(&p, "admin").await;
    let mut streams = Vec::new();
    for _ in 0..3 {
        let r = page.get("/admin/live", Some(&admin.cookie)).await;
        assert_eq!(r.status(), StatusCode::OK);
        streams.push(r);
    }
    let mut oldest = streams.remove(0);
    let ended = tokio::time::timeout(std::time::Duration::from_secs(5), async {
        while let Ok(Some(_)) = oldest.chunk().await {}
    })
    .await;
    assert!(ended.is_ok(), "the oldest page stream ended");
    let streams_of = |id: &str| p.running.state.limits.streams.open_of(id);
    assert_eq!(streams_of("admin-page:admin"), 2);
    // The page's streams are counted apart from the app's: the phone keeps its own.
    let phone = p.login("admin").await.stream().await;
    assert_eq!(streams_of("admin"), 1);
    assert_eq!(streams_of("admin-page:admin"), 2);
    drop((streams, phone));
    p.stop().await;
}
