//! The wire contract's own tests.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
use super::*;

#[test]
fn a_submission_without_the_optional_fields_reads_and_writes_the_same() {
    let json = r#"{"product_id":"runchang-suli","amount_fen":50000000,"months":60}"#;
    let req: SubmitRequest = serde_json::from_str(json).unwrap();
    assert_eq!(req.id, None);
    assert_eq!(serde_json::to_string(&req).unwrap(), json);
    let bad = r#"{"product_id":"p","amount_fen":1,"months":1,"extra":true}"#;
    assert!(
        serde_json::from_str::<SubmitRequest>(bad).is_err(),
        "unknown fields are refused"
    );
}

#[test]
fn an_error_body_without_reasons_has_no_reasons_field() {
    let body = ErrorBody {
        error: ErrorDetail {
            code: "unauthorized".into(),
            message_zh: "请先登录".into(),
            message_en: "log in".into(),
            reasons: Vec::new(),
        },
    };
    let v = serde_json::to_value(&body).unwrap();
    assert!(v["error"].get("reasons").is_none());
    let back: ErrorBody = serde_json::from_value(v).unwrap();
    assert_eq!(back, body);
}

#[test]
fn stream_topics_round_trip_through_their_codes() {
    for t in [
        StreamTopic::Ready,
        StreamTopic::Application,
        StreamTopic::Task,
        StreamTopic::Escalation,
        StreamTopic::Resync,
    ] {
        assert_eq!(StreamTopic::from_code(t.code()), Some(t));
        assert_eq!(serde_json::to_value(t).unwrap(), t.code());
    }
    assert_eq!(StreamTopic::from_code("other"), None);
}

#[test]
fn a_contact_defaults_to_reached() {
    let c: ContactRequest = serde_json::from_str("{}").unwrap();
    assert_eq!(c.outcome, ContactOutcome::Reached);
    let c: ContactRequest = serde_json::from_str(r#"{"outcome":"no_answer"}"#).unwrap();
    assert_eq!(c.outcome, ContactOutcome::NoAnswer);
}

#[test]
fn a_whole_number_written_with_a_decimal_point_is_read_and_a_fraction_is_refused() {
    let r: DisburseRequest = serde_json::from_str(r#"{"amount_fen":30307.0}"#).unwrap();
    assert_eq!(r.amount_fen, 30307);
    assert!(serde_json::from_str::<DisburseRequest>(r#"{"amount_fen":1.5}"#).is_err());
    let r: SubmitRequest =
        serde_json::from_str(r#"{"product_id":"p","amount_fen":1e6,"months":12.0}"#).unwrap();
    assert_eq!((r.amount_fen, r.months), (1_000_000, 12));
    assert!(
        serde_json::from_str::<SubmitRequest>(
            r#"{"product_id":"p","amount_fen":1,"months":5000000000}"#
        )
        .is_err(),
        "months beyond u32"
    );
    assert!(
        serde_json::from_str::<StartUploadRequest>(r#"{"kind":"lease","size":-1,"sha256":""}"#)
            .is_err()
    );
}
