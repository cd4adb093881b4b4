//! The guard in front of every POST of the pages: a form body of bounded
//! size, sent from this site, carrying the session's `csrf_token`. One
//! synchronizer token per session, compared in constant time. Anything else
//! is refused before a handler runs, so nothing changes.
//!
//! The guard decides on the method alone, never on the path: it wraps the
//! scopes of the URL tree (`routes::config`), so whatever spelling of a path
//! the router takes, the request passed through it first. A POST is checked;
//! GET, HEAD, OPTIONS and TRACE pass to the router (which answers 405 where
//! a route does not take them); any other method is answered 405 here, since
//! no page takes one. The API, which takes no form, is mounted outside.

use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{Payload, ServiceRequest, ServiceResponse};
use actix_web::http::{header, Method};
use actix_web::middleware::Next;
use actix_web::web::{self, BytesMut};
use actix_web::{Error, HttpMessage, ResponseError};
use futures_util::StreamExt;
use subtle::ConstantTimeEq;

use crate::error::AppError;
use crate::state::AppState;

use super::identity::identity_of;
use super::session::Session;

/// The largest form body.
pub const FORM_LIMIT: usize = 32 * 1024;
/// The largest CSV upload.
pub const UPLOAD_LIMIT: usize = 20 * 1024 * 1024;
/// The form field that carries the token.
pub const FIELD: &str = "csrf_token";

/// What body a guarded scope takes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Takes {
    /// `application/x-www-form-urlencoded`, up to [`FORM_LIMIT`].
    Forms,
    /// Forms, and `multipart/form-data` from staff up to [`UPLOAD_LIMIT`].
    Uploads,
}

/// The guard of the scopes whose routes take forms.
pub async fn forms(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, Error> {
    guard(req, next, Takes::Forms).await
}

/// The guard of the upload scope (the staff's CSV import).
pub async fn uploads(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, Error> {
    guard(req, next, Takes::Uploads).await
}

async fn guard(
    mut req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
    takes: Takes,
) -> Result<ServiceResponse<BoxBody>, Error> {
    let method = req.method().clone();
    if [Method::GET, Method::HEAD, Method::OPTIONS, Method::TRACE].contains(&method) {
        return Ok(next.call(req).await?.map_into_boxed_body());
    }
    if method != Method::POST {
        return Ok(req.into_response(AppError::MethodNotAllowed.error_response()));
    }
    match check(&mut req, takes).await {
        Ok(()) => Ok(next.call(req).await?.map_into_boxed_body()),
        Err(e) => {
            if matches!(e, AppError::Csrf) {
                let login = Session::of(req.request()).login_id();
                tracing::warn!(
                    login_id = ?login,
                    peer = %crate::auth::peer_of(req.peer_addr()),
                    route = %crate::auth::route_of(req.request()),
                    "refused: CSRF or cross-site POST"
                );
            }
            Ok(req.into_response(e.error_response()))
        }
    }
}

async fn check(req: &mut ServiceRequest, takes: Takes) -> Result<(), AppError> {
    if is_cross_site(req) {
        return Err(AppError::Csrf);
    }
    let essence = media_type(req.headers());
    let limit = match (essence.as_str(), takes) {
        ("application/x-www-form-urlencoded", _) => FORM_LIMIT,
        ("multipart/form-data", Takes::Uploads) => UPLOAD_LIMIT,
        _ => return Err(AppError::UnsupportedMediaType),
    };
    // Only staff may send an upload of up to 20 MiB: the session middleware
    // read the login with the session, so no extra query decides it.
    if essence == "multipart/form-data" {
        let staff = identity_of(req.request()).is_some_and(|i| i.login.role.is_staff());
        if !staff {
            return Err(AppError::Forbidden);
        }
    }
    let declared = req
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<usize>().ok());
    if declared.is_some_and(|n| n > limit) {
        return Err(AppError::PayloadTooLarge);
    }
    let body = read_body(req.take_payload(), limit).await?;
    let fields = if essence == "multipart/form-data" {
        // A multipart boundary is case-sensitive: the header as sent.
        let content_type = req
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("");
        multipart_text_fields(content_type, &body)?
    } else {
        serde_urlencoded::from_bytes::<Vec<(String, String)>>(&body)
            .map_err(|_| AppError::BadRequest)?
    };
    let mut seen = std::collections::HashSet::new();
    for (name, _) in &fields {
        if !seen.insert(name.as_str()) {
            return Err(AppError::BadRequest);
        }
    }
    let sent = fields
        .iter()
        .find(|(name, _)| name == FIELD)
        .map(|(_, v)| v.as_str())
        .unwrap_or("");
    let expected = Session::of(req.request()).csrf().unwrap_or_default();
    if !tokens_match(sent, &expected) {
        return Err(AppError::Csrf);
    }
    req.set_payload(Payload::from(body.freeze()));
    Ok(())
}

/// Constant-time comparison; an empty token never matches.
pub fn tokens_match(sent: &str, expected: &str) -> bool {
    !expected.is_empty()
        && sent.len() == expected.len()
        && bool::from(sent.as_bytes().ct_eq(expected.as_bytes()))
}

/// A POST from another site: `Sec-Fetch-Site` says so, or `Origin` names
/// another origin than this one.
fn is_cross_site(req: &ServiceRequest) -> bool {
    if let Some(site) = req
        .headers()
        .get("sec-fetch-site")
        .and_then(|v| v.to_str().ok())
    {
        if !matches!(site.trim(), "same-origin" | "none") {
            return true;
        }
    }
    if let Some(origin) = req
        .headers()
        .get(header::ORIGIN)
        .and_then(|v| v.to_str().ok())
    {
        let expected = match req
            .app_data::<web::Data<AppState>>()
            .and_then(|s| s.settings.public_url.clone())
        {
            Some(public) => public.trim_end_matches('/').to_ascii_lowercase(),
            None => {
                let info = req.connection_info();
                format!("{}://{}", info.scheme(), info.host()).to_ascii_lowercase()
            }
        };
        if origin.trim().to_ascii_lowercase() != expected {
            return true;
        }
    }
    false
}

async fn read_body(mut payload: Payload, limit: usize) -> Result<BytesMut, AppError> {
    let mut body = BytesMut::new();
    while let Some(chunk) = payload.next().await {
        let chunk = chunk.map_err(|_| AppError::BadRequest)?;
        if body.len() + chunk.len() > limit {
            return Err(AppError::PayloadTooLarge);
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
}

/// One part of a multipart body.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Part {
    pub name: String,
    pub filename: Option<String>,
    pub data: Vec<u8>,
}

/// The parts of a `multipart/form-data` body (RFC 7578), small and strict:
/// anything malformed is a 400.
pub fn multipart_parts(content_type: &str, body: &[u8]) -> Result<Vec<Part>, AppError> {
    let boundary = header_params(content_type)
        .into_iter()
        .find(|(name, _)| name == "boundary")
        .map(|(_, value)| value)
        .filter(|b| !b.is_empty() && b.len() <= 70)
        .ok_or(AppError::BadRequest)?;
    let delimiter = format!("--{boundary}");
    let end_marker = format!("\r\n{delimiter}");
    let mut parts = Vec::new();
    let first = find(body, delimiter.as_bytes()).ok_or(AppError::BadRequest)?;
    let mut rest = &body[first + delimiter.len()..];
    loop {
        if rest.starts_with(b"--") {
            break;
        }
        let after_crlf = rest.strip_prefix(b"\r\n").ok_or(AppError::BadRequest)?;
        let header_end = find(after_crlf, b"\r\n\r\n").ok_or(AppError::BadRequest)?;
        let headers =
            std::str::from_utf8(&after_crlf[..header_end]).map_err(|_| AppError::BadRequest)?;
        let content = &after_crlf[header_end + 4..];
        let end = find(content, end_marker.as_bytes()).ok_or(AppError::BadRequest)?;
        let mut name = None;
        let mut filename = None;
        for line in headers.split("\r\n") {
            if let Some((field, value)) = line.split_once(':') {
                if field.trim().eq_ignore_ascii_case("content-disposition") {
                    for (param, v) in header_params(value) {
                        match param.as_str() {
                            "name" => name = Some(v),
                            "filename" => filename = Some(v),
                            _ => {}
                        }
                    }
                }
            }
        }
        parts.push(Part {
            name: name.ok_or(AppError::BadRequest)?,
            filename,
            data: content[..end].to_vec(),
        });
        rest = &content[end + end_marker.len()..];
    }
    Ok(parts)
}

/// The names (and text values) of a multipart body's parts, enough to find
/// the token and refuse a field sent twice. File parts get an empty value.
fn multipart_text_fields(
    content_type: &str,
    body: &[u8],
) -> Result<Vec<(String, String)>, AppError> {
    Ok(multipart_parts(content_type, body)?
        .into_iter()
        .map(|p| {
            let value = if p.filename.is_some() {
                String::new()
            } else {
                String::from_utf8_lossy(&p.data).into_owned()
            };
            (p.name, value)
        })
        .collect())
}

/// The `name=value` parameters after the first `;` of a header value, names
/// lower-cased, quoted values unquoted (a `;` inside quotes stays).
fn header_params(value: &str) -> Vec<(String, String)> {
    let mut params = Vec::new();
    let mut pieces = Vec::new();
    let (mut current, mut quoted, mut escaped) = (String::new(), false, false);
    for c in value.chars() {
        match c {
            _ if escaped => {
                current.push(c);
                escaped = false;
            }
            '\\' if quoted => escaped = true,
            '"' => quoted = !quoted,
            ';' if !quoted => pieces.push(std::mem::take(&mut current)),
            _ => current.push(c),
        }
    }
    pieces.push(current);
    for piece in pieces.into_iter().skip(1) {
        if let Some((name, v)) = piece.split_once('=') {
            params.push((name.trim().to_ascii_lowercase(), v.trim().to_string()));
        }
    }
    params
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    memchr::memmem::find(haystack, needle)
}

/// A request's media type: its `Content-Type` before any parameter,
/// trimmed and lower-cased (`""` without one). The one reading of the
/// header for the page forms and the API's JSON bodies.
pub fn media_type(headers: &actix_web::http::header::HeaderMap) -> String {
    headers
        .get(actix_web::http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_match_only_when_equal_and_not_empty() {
        assert!(tokens_match("abc", "abc"));
        assert!(!tokens_match("abd", "abc"));
        assert!(!tokens_match("", ""));
        assert!(!tokens_match("ab", "abc"));
    }

    #[test]
    fn multipart_fields_are_found() {
        let body = b"--XX\r\nContent-Disposition: form-data; name=\"csrf_token\"\r\n\r\ntok\r\n--XX\r\nContent-Disposition: form-data; name=\"file\"; filename=\"u.csv\"\r\nContent-Type: text/csv\r\n\r\na,b\r\n1,2\r\n--XX--\r\n";
        let fields =
            multipart_text_fields("multipart/form-data; boundary=XX", body).expect("parse");
        assert_eq!(
            fields,
            vec![
                ("csrf_token".into(), "tok".into()),
                ("file".into(), String::new())
            ]
        );
        assert!(multipart_text_fields("multipart/form-data", body).is_err());
    }

    #[test]
    fn boundaries_keep_their_case_and_quoted_parameters_their_semicolons() {
        let body = b"--WebKitFormBoundaryAbC\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a;name=x.csv\"\r\n\r\nE1\r\n--WebKitFormBoundaryAbC--\r\n";
        let parts = multipart_parts("multipart/form-data; Boundary=WebKitFormBoundaryAbC", body)
            .expect("parse");
        assert_eq!(parts.len(), 1);
        assert_eq!(parts[0].name, "file");
        assert_eq!(parts[0].filename.as_deref(), Some("a;name=x.csv"));
        assert_eq!(parts[0].data, b"E1");
        assert!(
            multipart_parts("multipart/form-data; boundary=webkitformboundaryabc", body).is_err()
        );
    }
}
