//! Sign-in calls: ask for a one-time code, log in (keeps the token in the client), log out,
//! and the platform's record of the signed-in person. Must never log the phone, the code or
//! the token.

use super::{Outcome, SyncClient, SyncError, parse};
use crate::wire::{self, path};

impl SyncClient {
    /// Asks the platform to send a one-time login code to `phone`.
    pub async fn request_code(&self, phone: &str) -> Result<(), SyncError> {
        let req = self
            .http
            .post(self.url(path::AUTH_CODE))
            .json(&wire::CodeRequest {
                phone: phone.to_owned(),
            });
        match self.exchange(req).await {
            Outcome::Ok(_) | Outcome::NotModified => Ok(()),
            // A malformed phone number: the platform's words, not "sign in again".
            Outcome::Unauthorized(r) => Err(SyncError::Refused(r)),
            other => other.body().map(|_| ()),
        }
    }

    /// Logs in with the code; keeps the token for the next calls and answers the session.
    pub async fn login(&self, phone: &str, code: &str) -> Result<wire::SessionResponse, SyncError> {
        let req = self
            .http
            .post(self.url(path::AUTH_LOGIN))
            .json(&wire::LoginRequest {
                phone: phone.to_owned(),
                code: code.to_owned(),
            });
        let body = match self.exchange(req).await {
            // A wrong or expired code: show the platform's words, not "log in again".
            Outcome::Unauthorized(refusal) => return Err(SyncError::Refused(refusal)),
            other => other.body()?,
        };
        let session: wire::SessionResponse = parse(&body)?;
        self.set_token(Some(&session.token));
        Ok(session)
    }

    /// Ends the session on the platform (best effort) and forgets the token here either way.
    pub async fn logout(&self) -> Result<(), SyncError> {
        let result = if self.has_token() {
            self.exchange(self.post(path::AUTH_LOGOUT))
                .await
                .body()
                .map(|_| ())
        } else {
            Ok(())
        };
        self.set_token(None);
        match result {
            // The token was no longer valid: it is gone on the platform too.
            Err(SyncError::Unauthorized) => Ok(()),
            other => other,
        }
    }

    /// The signed-in person as the platform records them now.
    pub async fn me(&self) -> Result<wire::UserView, SyncError> {
        parse(&self.exchange(self.get(path::ME)).await.body()?)
    }
}
