//! The path URLs e-mails link to (`/moten/{id}`, `/notiser/{id}`, `/notiser`) lead into the
//! web interface's fragment routes; anything but a UUID is the 404 page.

use reqwest::{redirect, StatusCode};

use crate::helpers::{spawn_app, Backend};

fn no_redirects() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(redirect::Policy::none())
        .build()
        .expect("a client")
}

async fn location(
    app: &crate::helpers::TestApp,
    path: &str,
) -> anyhow::Result<(StatusCode, String)> {
    let response = no_redirects().get(app.url(path)).send().await?;
    let location = response
        .headers()
        .get("location")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    Ok((response.status(), location))
}

#[tokio::test]
async fn e_mail_links_redirect_to_the_web_interfaces_routes() -> anyhow::Result<()> {
    let app = spawn_app(Backend::Sqlite).await?.unwrap();
    let id = "0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b";
    assert_eq!(
        location(&app, &format!("/moten/{id}")).await?,
        (StatusCode::SEE_OTHER, format!("/#/moten/{id}"))
    );
    assert_eq!(
        location(&app, &format!("/notiser/{id}")).await?,
        (StatusCode::SEE_OTHER, format!("/#/notiser/{id}"))
    );
    assert_eq!(
        location(&app, "/notiser").await?,
        (StatusCode::SEE_OTHER, "/#/notiser".to_owned())
    );
    // An id in another spelling is written back in its canonical form.
    let upper = id.to_uppercase();
    assert_eq!(
        location(&app, &format!("/moten/{upper}")).await?,
        (StatusCode::SEE_OTHER, format!("/#/moten/{id}"))
    );
    // Followed, the redirect ends on the web interface's start page.
    let page = app
        .client
        .get(app.url(&format!("/moten/{id}")))
        .send()
        .await?;
    assert_eq!(page.status(), StatusCode::OK);
    assert!(page.text().await?.contains("<html lang=\"sv\">"));
    Ok(())
}

#[tokio::test]
async fn a_link_with_anything_but_an_id_is_the_404_page() -> anyhow::Result<()> {
    let app = spawn_app(Backend::Sqlite).await?.unwrap();
    for path in [
        "/moten/inte-ett-id",
        "/notiser/%3Cscript%3E",
        "/moten/0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b/mer",
    ] {
        let response = no_redirects().get(app.url(path)).send().await?;
        assert_eq!(response.status(), StatusCode::NOT_FOUND, "{path}");
        assert!(response.headers().get("location").is_none(), "{path}");
        let csp = response.headers().get("content-security-policy");
        assert!(csp.is_some(), "the 404 page keeps the web headers: {path}");
        assert!(
            response.text().await?.contains("Sidan finns inte"),
            "{path}"
        );
    }
    Ok(())
}
