//! Onboarding documents as a client sends them: `multipart/form-data` with the file and,
//! for a criminal record extract, its issue date.

use crate::{Http, Reply};

/// The smallest file the server accepts as a PDF (judged by its first bytes).
pub const PDF: &[u8] = b"%PDF-1.7\n1 0 obj << /Type /Catalog >> endobj\n%%EOF";

/// A `multipart/form-data` body with a file and, optionally, its issue date; and its content type.
pub fn form(file_name: &str, content: &[u8], issued_on: Option<&str>) -> (String, Vec<u8>) {
    let boundary = "mentorship-test-boundary";
    let mut body = Vec::new();
    if let Some(date) = issued_on {
        body.extend(format!("--{boundary}\r\nContent-Disposition: form-data; name=\"issued_on\"\r\n\r\n{date}\r\n").bytes());
    }
    body.extend(
        format!("--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{file_name}\"\r\nContent-Type: application/octet-stream\r\n\r\n")
            .bytes(),
    );
    body.extend_from_slice(content);
    body.extend(format!("\r\n--{boundary}--\r\n").bytes());
    (format!("multipart/form-data; boundary={boundary}"), body)
}

/// Sends one document of `kind` for `mentor` as the holder of `token`.
pub async fn upload(
    http: &Http,
    token: &str,
    mentor: &str,
    kind: &str,
    name: &str,
    content: &[u8],
    issued_on: Option<&str>,
) -> Reply {
    let (content_type, body) = form(name, content, issued_on);
    let auth = format!("Bearer {token}");
    let headers = [
        ("authorization", auth.as_str()),
        ("content-type", content_type.as_str()),
    ];
    http.raw(
        "POST",
        &format!("/v1/mentors/{mentor}/documents/{kind}"),
        &headers,
        body,
    )
    .await
}

/// The date `days` days before today (UTC), as a form sends it.
pub fn days_ago(days: i64) -> String {
    (chrono::Utc::now().date_naive() - chrono::Duration::days(days)).to_string()
}

/// Sends the four documents of an accepted applicant (a fresh criminal record extract).
pub async fn send_all_documents(http: &Http, token: &str, mentor: &str) {
    for (kind, issued) in [
        ("identity", None),
        ("criminal_record", Some(days_ago(10))),
        ("diploma", None),
        ("company_registration", None),
    ] {
        upload(
            http,
            token,
            mentor,
            kind,
            "scan.pdf",
            PDF,
            issued.as_deref(),
        )
        .await
        .ok(201);
    }
}

/// Has `staff` verify the four documents of `mentor`.
pub async fn verify_all_documents(http: &Http, staff: &str, mentor: &str) {
    for kind in [
        "identity",
        "criminal_record",
        "diploma",
        "company_registration",
    ] {
        let verify = format!("/v1/mentors/{mentor}/documents/{kind}/verify");
        http.call("POST", &verify, Some(staff), None, &[])
            .await
            .ok(200);
    }
}
