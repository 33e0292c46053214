//! Typed requests: each sends with a user's token (or none) and reads status and JSON body.

use reqwest::{Method, StatusCode};
use serde_json::Value;

use super::{TestApp, TestUser};

/// Response status and JSON body (Null when there is none).
pub struct Reply {
    pub status: StatusCode,
    pub body: Value,
    pub content_type: String,
}

impl Reply {
    pub fn id(&self) -> String {
        self.body["id"].as_str().unwrap_or_default().to_owned()
    }

    /// A problem's field errors as (field, code) pairs, in the order given.
    pub fn field_codes(&self) -> Vec<(String, String)> {
        self.body["errors"]
            .as_array()
            .map(|errors| {
                errors
                    .iter()
                    .map(|e| {
                        (
                            e["field"].as_str().unwrap_or_default().to_owned(),
                            e["code"].as_str().unwrap_or_default().to_owned(),
                        )
                    })
                    .collect()
            })
            .unwrap_or_default()
    }

    /// An error naming `what`, the status and the body, unless the status is `expected`.
    pub fn ensure_status(&self, expected: StatusCode, what: &str) -> anyhow::Result<()> {
        anyhow::ensure!(
            self.status == expected,
            "{what}: {} {}",
            self.status,
            self.body
        );
        Ok(())
    }
}

impl TestApp {
    pub fn url(&self, path: &str) -> String {
        format!("http://{}{}", self.addr, path)
    }

    async fn send(&self, builder: reqwest::RequestBuilder) -> anyhow::Result<Reply> {
        let response = builder.send().await?;
        let status = response.status();
        let content_type = response
            .headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_owned();
        let text = response.text().await?;
        let body = if text.is_empty() {
            Value::Null
        } else {
            serde_json::from_str(&text).unwrap_or(Value::String(text))
        };
        Ok(Reply {
            status,
            body,
            content_type,
        })
    }

    pub async fn get(&self, user: &TestUser, path: &str) -> anyhow::Result<Reply> {
        self.send(self.client.get(self.url(path)).bearer_auth(&user.token))
            .await
    }

    pub async fn post(&self, user: &TestUser, path: &str, body: Value) -> anyhow::Result<Reply> {
        self.send(
            self.client
                .post(self.url(path))
                .bearer_auth(&user.token)
                .json(&body),
        )
        .await
    }

    pub async fn patch(&self, user: &TestUser, path: &str, body: Value) -> anyhow::Result<Reply> {
        self.send(
            self.client
                .patch(self.url(path))
                .bearer_auth(&user.token)
                .json(&body),
        )
        .await
    }

    pub async fn anonymous(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Option<Value>,
    ) -> anyhow::Result<Reply> {
        let mut builder = self.client.request(method, self.url(path));
        if let Some(body) = body {
            builder = builder.json(&body);
        }
        self.send(builder).await
    }

    /// The OpenAPI document as served.
    pub async fn openapi(&self) -> anyhow::Result<Value> {
        Ok(self
            .client
            .get(self.url("/api/openapi.json"))
            .send()
            .await?
            .json()
            .await?)
    }

    pub async fn raw(&self, builder: reqwest::RequestBuilder) -> anyhow::Result<Reply> {
        self.send(builder).await
    }

    pub async fn delete(&self, user: &TestUser, path: &str) -> anyhow::Result<Reply> {
        self.send(self.client.delete(self.url(path)).bearer_auth(&user.token))
            .await
    }

    /// POST without a body.
    pub async fn post_empty(&self, user: &TestUser, path: &str) -> anyhow::Result<Reply> {
        self.send(self.client.post(self.url(path)).bearer_auth(&user.token))
            .await
    }

    pub async fn put(&self, user: &TestUser, path: &str, body: Value) -> anyhow::Result<Reply> {
        self.send(
            self.client
                .put(self.url(path))
                .bearer_auth(&user.token)
                .json(&body),
        )
        .await
    }
}

/// A request with any method and an optional JSON body, as `user`.
pub async fn call(
    app: &TestApp,
    user: &TestUser,
    method: Method,
    path: &str,
    body: Option<Value>,
) -> anyhow::Result<Reply> {
    let mut builder = app
        .client
        .request(method, app.url(path))
        .bearer_auth(&user.token);
    if let Some(body) = body {
        builder = builder.json(&body);
    }
    app.raw(builder).await
}
