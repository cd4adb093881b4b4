//! Every API error as `application/problem+json` (RFC 9457), the
//! framework's own included (bad JSON, wrong content type, too large, an
//! unknown route or method): `frame` rewrites any error response of the
//! API scope into a problem, in the reader's language.

use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{self, HeaderValue};
use actix_web::http::StatusCode;
use actix_web::middleware::Next;
use actix_web::{Error, HttpResponse, ResponseError};
use serde::Serialize;
use utoipa::ToSchema;

use crate::domain::validation::FieldError;
use crate::i18n::Lang;

/// The media type of every API error.
pub const PROBLEM_JSON: &str = "application/problem+json";

/// An API error body (RFC 9457).
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct Problem {
    /// A URI naming the kind of problem (`about:blank`: the status says it).
    #[serde(rename = "type")]
    pub kind: String,
    pub title: String,
    pub status: u16,
    pub detail: String,
    /// The fields at fault (422 only).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<FieldProblem>,
}

/// One field at fault.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct FieldProblem {
    /// For the users sync: the user's index in `users`, from 0.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub index: Option<usize>,
    pub field: String,
    pub message: String,
}

/// What went wrong with a field, put in the reader's language when the
/// problem is drawn.
#[derive(Clone, Debug)]
pub enum FieldText {
    Catalog(FieldError),
    NoRecord,
    KeyReused,
    /// A synced user's field, by the rules of the CSV import.
    Import(crate::domain::import::Problem),
    /// A change that would leave too few licenses, in words.
    Clash(crate::domain::orders::Clash),
}

/// A field at fault, before it is put in the reader's language.
#[derive(Clone, Debug)]
pub struct BadField {
    pub index: Option<usize>,
    pub field: String,
    pub text: FieldText,
}

impl BadField {
    pub fn new(field: &str, error: FieldError) -> BadField {
        BadField {
            index: None,
            field: field.to_string(),
            text: FieldText::Catalog(error),
        }
    }
}

/// Why an API request was refused.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// Malformed JSON or query, a missing or malformed header.
    #[error("malformed request: {0:?}")]
    BadRequest(BadBody),
    #[error("missing, unknown, revoked or expired token")]
    Unauthorized,
    #[error("the token's scope does not allow this")]
    Forbidden,
    #[error("not found")]
    NotFound,
    #[error("the order is no longer pending")]
    Conflict,
    /// A dated change that cannot be made now, with why.
    #[error("refused: {0:?}")]
    Clash(crate::domain::orders::Clash),
    #[error("unsupported media type")]
    UnsupportedMediaType,
    #[error("body too large")]
    TooLarge,
    #[error("bad values")]
    Unprocessable(Vec<BadField>),
    /// This token sent too many requests: wait this many seconds.
    #[error("too many requests")]
    TooManyRequests(u64),
    #[error("method not allowed")]
    MethodNotAllowed(&'static str),
    #[error(transparent)]
    App(#[from] crate::error::AppError),
}

/// What is malformed about a request answered 400; the problem's detail
/// says it in the reader's language (`BadBody::text`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BadBody {
    /// The body could not be read to its end.
    Unreadable,
    NotJson,
    NotObject,
    NoIdempotencyKey,
    BadIdempotencyKey,
    /// A users sync of more users than `MAX_SYNC_USERS`.
    TooManyUsers,
    /// A users sync whose body is not `{"users": [...]}`.
    NotUserList,
}

impl BadBody {
    /// The catalog's words for it.
    pub fn text(self, t: &crate::i18n::Msgs) -> &'static str {
        match self {
            BadBody::Unreadable => t.api_bad_unreadable,
            BadBody::NotJson => t.api_bad_not_json,
            BadBody::NotObject => t.api_bad_not_object,
            BadBody::NoIdempotencyKey => t.api_bad_no_key,
            BadBody::BadIdempotencyKey => t.api_bad_key,
            BadBody::TooManyUsers => t.api_bad_too_many_users,
            BadBody::NotUserList => t.api_bad_not_user_list,
        }
    }
}

/// What `frame` needs to draw the body of an error response.
#[derive(Clone, Debug)]
struct Parts {
    detail: Option<BadBody>,
    clash: Option<crate::domain::orders::Clash>,
    fields: Vec<BadField>,
}

impl ApiError {
    pub fn field(field: &str, error: FieldError) -> ApiError {
        ApiError::Unprocessable(vec![BadField::new(field, error)])
    }
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        match self {
            ApiError::BadRequest(_) => StatusCode::BAD_REQUEST,
            ApiError::Unauthorized => StatusCode::UNAUTHORIZED,
            ApiError::Forbidden => StatusCode::FORBIDDEN,
            ApiError::NotFound => StatusCode::NOT_FOUND,
            ApiError::Conflict | ApiError::Clash(_) => StatusCode::CONFLICT,
            ApiError::UnsupportedMediaType => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            ApiError::TooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            ApiError::Unprocessable(_) => StatusCode::UNPROCESSABLE_ENTITY,
            ApiError::TooManyRequests(_) => StatusCode::TOO_MANY_REQUESTS,
            ApiError::MethodNotAllowed(_) => StatusCode::METHOD_NOT_ALLOWED,
            ApiError::App(e) => match e.status_code() {
                // A page's "sign in first" is the API's 401.
                StatusCode::SEE_OTHER => StatusCode::UNAUTHORIZED,
                other => other,
            },
        }
    }

    fn error_response(&self) -> HttpResponse {
        // The app's own errors log their causes as they draw themselves.
        let app = match self {
            ApiError::App(e) => Some(e.error_response()),
            _ => None,
        };
        let mut res = HttpResponse::build(self.status_code());
        if let Some(app) = &app {
            if let Some(v) = app.headers().get(header::RETRY_AFTER) {
                res.insert_header((header::RETRY_AFTER, v.clone()));
            }
        }
        match self {
            ApiError::Unauthorized => {
                res.insert_header((header::WWW_AUTHENTICATE, "Bearer"));
            }
            ApiError::TooManyRequests(seconds) => {
                res.insert_header((header::RETRY_AFTER, seconds.to_string()));
            }
            ApiError::MethodNotAllowed(allow) => {
                res.insert_header((header::ALLOW, *allow));
            }
            _ => {}
        }
        let mut res = res.finish();
        res.extensions_mut().insert(Parts {
            detail: match self {
                ApiError::BadRequest(what) => Some(*what),
                _ => None,
            },
            clash: match self {
                ApiError::Clash(clash) => Some(*clash),
                _ => None,
            },
            fields: match self {
                ApiError::Unprocessable(fields) => fields.clone(),
                _ => Vec::new(),
            },
        });
        res
    }
}

/// The problem for a status, in a language.
fn problem(lang: Lang, status: StatusCode, parts: Option<&Parts>) -> Problem {
    let t = lang.msgs();
    let clash = parts.and_then(|p| p.clash);
    let detail = match (status.as_u16(), parts.and_then(|p| p.detail), clash) {
        (400, Some(what), _) => format!("{} ({})", t.api_error_text(400), what.text(t)),
        (409, _, Some(clash)) => lang.clash(clash),
        (code, _, _) => t.api_error_text(code).to_string(),
    };
    Problem {
        kind: "about:blank".into(),
        title: status.canonical_reason().unwrap_or("Error").to_string(),
        status: status.as_u16(),
        detail,
        errors: parts
            .map(|p| {
                p.fields
                    .iter()
                    .map(|f| FieldProblem {
                        index: f.index,
                        field: f.field.clone(),
                        message: match &f.text {
                            FieldText::Catalog(e) => t.field_error(*e).to_string(),
                            FieldText::NoRecord => t.report_no_record.to_string(),
                            FieldText::KeyReused => t.api_key_reused.to_string(),
                            FieldText::Import(problem) => lang.import_problem(problem),
                            FieldText::Clash(clash) => lang.clash(*clash),
                        },
                    })
                    .collect()
            })
            .unwrap_or_default(),
    }
}

/// Around the API scope: every error status leaves as a problem.
pub async fn frame(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, Error> {
    let lang = Lang::from_accept_language(
        req.headers()
            .get(header::ACCEPT_LANGUAGE)
            .and_then(|v| v.to_str().ok()),
    );
    // Refusals inside the scope are responses, not errors (see
    // `auth::middleware`), so each reaches this frame.
    let mut res = next.call(req).await?.map_into_boxed_body();
    let status = res.status();
    res.response_mut()
        .extensions_mut()
        .insert(crate::error::OwnBody);
    if !(status.is_client_error() || status.is_server_error()) {
        return Ok(res);
    }
    let parts = res.response().extensions().get::<Parts>().cloned();
    let body = serde_json::to_string(&problem(lang, status, parts.as_ref()))
        .unwrap_or_else(|_| format!("{{\"status\":{}}}", status.as_u16()));
    Ok(res.map_body(|head, _| {
        head.headers_mut()
            .insert(header::CONTENT_TYPE, HeaderValue::from_static(PROBLEM_JSON));
        head.headers_mut().remove(header::CONTENT_LENGTH);
        BoxBody::new(body)
    }))
}

/// The problem answers of the OpenAPI document, declared once each: a
/// path names the sets it can answer (`responses((status = 200, ...),
/// Always, NotFound)`).
pub mod answers {
    use std::collections::BTreeMap;

    use utoipa::openapi::content::ContentBuilder;
    use utoipa::openapi::response::{Response, ResponseBuilder};
    use utoipa::openapi::{Ref, RefOr};

    fn problem(description: &str) -> RefOr<Response> {
        ResponseBuilder::new()
            .description(description)
            .content(
                "application/problem+json",
                ContentBuilder::new()
                    .schema(Some(Ref::from_schema_name("Problem")))
                    .build(),
            )
            .build()
            .into()
    }

    macro_rules! sets {
        ($($(#[$doc:meta])* $name:ident: $($status:literal => $text:literal),+;)*) => {
            $(
                $(#[$doc])*
                pub struct $name;
                impl utoipa::IntoResponses for $name {
                    fn responses() -> BTreeMap<String, RefOr<Response>> {
                        BTreeMap::from([$(($status.to_string(), problem($text))),+])
                    }
                }
            )*
        };
    }

    sets! {
        /// What every endpoint behind a token may answer.
        Always:
            "401" => "No live token",
            "403" => "The token's scope does not allow it",
            "429" => "Over the token's rate, or a braked address",
            "503" => "The database is away or too busy";
        /// A malformed request: a missing header, a body that is no JSON object.
        Malformed: "400" => "Malformed";
        /// Another account's, or none.
        NotFound: "404" => "Not found";
        /// An order no longer pending.
        Conflict: "409" => "No longer pending";
        /// A body over the limit.
        TooLarge: "413" => "Too large";
        /// A body that is not JSON.
        NotJson: "415" => "Not JSON";
        /// Values refused, each field named.
        Invalid: "422" => "Values refused";
    }
}
