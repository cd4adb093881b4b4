//! The frame every page shares (`templates/base.html`) and the helpers that
//! turn a template into a response.

use actix_web::http::{header, StatusCode};
use actix_web::HttpResponse;
use askama::Template;

use crate::auth::SignedIn;
use crate::error::AppError;
use crate::i18n::{Lang, Msgs};

/// The account figures in the header of every account page.
pub struct HeaderFigures {
    pub account_name: String,
    pub owned: i64,
    pub counted: i64,
}

/// What `base.html` needs: language, messages, the CSRF token for the
/// header forms, who is signed in, the header figures, the tabs.
pub struct Chrome {
    pub lang: Lang,
    pub t: &'static Msgs,
    /// Empty on pages without a session (error pages): no header forms then.
    pub csrf: String,
    pub who: Option<String>,
    pub header: Option<HeaderFigures>,
    pub customer_nav: bool,
    /// The Order Licenses tab: a contact's (a viewer does not order).
    pub order_nav: bool,
    pub staff_nav: bool,
    /// Which tab is current: overview, order, orders, users, reports,
    /// staff-orders, accounts, audit, me.
    pub active: &'static str,
    pub flash: Option<&'static str>,
    /// Where the language switch returns to.
    pub back: String,
}

impl Chrome {
    /// For a signed-in page.
    pub fn signed_in(who: &SignedIn, active: &'static str, back: &str) -> Chrome {
        let t = who.lang.msgs();
        let header = who.account.as_ref().map(|a| HeaderFigures {
            account_name: a.name.clone(),
            owned: a.licenses,
            counted: who.counted,
        });
        let role = who.login.role;
        Chrome {
            lang: who.lang,
            t,
            csrf: who.csrf.clone(),
            who: Some(who.login.display_name().to_string()),
            header,
            customer_nav: role.reads_account(),
            order_nav: role.reads_account() && role.changes_account(),
            staff_nav: role.is_staff(),
            active,
            flash: who.flash.map(|k| t.flash(k)),
            back: back.to_string(),
        }
    }

    /// For a page without a signed-in login.
    pub fn anonymous(lang: Lang, csrf: String, back: &str) -> Chrome {
        Chrome {
            lang,
            t: lang.msgs(),
            csrf,
            who: None,
            header: None,
            customer_nav: false,
            order_nav: false,
            staff_nav: false,
            active: "",
            flash: None,
            back: back.to_string(),
        }
    }

    /// The other language, for the switch.
    pub fn other_lang(&self) -> &'static str {
        match self.lang {
            Lang::En => Lang::Sv.code(),
            Lang::Sv => Lang::En.code(),
        }
    }

    /// A number formatted for the reader's language.
    pub fn num(&self, n: impl AsNumber) -> String {
        self.lang.num(n.as_number())
    }
}

/// Whatever templates hand over for a number (they pass references).
pub trait AsNumber {
    fn as_number(&self) -> i64;
}

impl AsNumber for i64 {
    fn as_number(&self) -> i64 {
        *self
    }
}

impl<T: AsNumber + ?Sized> AsNumber for &T {
    fn as_number(&self) -> i64 {
        (**self).as_number()
    }
}

/// Links to the pages around this one of a list.
pub struct Pager {
    pub text: String,
    pub prev: Option<String>,
    pub next: Option<String>,
}

impl Pager {
    /// Lists of the portal show this many rows a page.
    pub const SIZE: i64 = 50;

    /// "Page 2 of 5", with links.
    pub fn new(lang: Lang, page: i64, total: i64, url: impl Fn(i64) -> String) -> Pager {
        Pager::with_text(page, total, url, |pages| lang.page_n_of(page, pages))
    }

    /// "Page 2 of 5 (230 users)", with links: for lists of users.
    pub fn of_users(lang: Lang, page: i64, total: i64, url: impl Fn(i64) -> String) -> Pager {
        Pager::with_text(page, total, url, |pages| lang.page_of(page, pages, total))
    }

    fn with_text(
        page: i64,
        total: i64,
        url: impl Fn(i64) -> String,
        text: impl FnOnce(i64) -> String,
    ) -> Pager {
        let pages = ((total + Pager::SIZE - 1) / Pager::SIZE).max(1);
        Pager {
            text: text(pages),
            prev: (page > 1).then(|| url(page - 1)),
            next: (page < pages).then(|| url(page + 1)),
        }
    }

    /// A `page` parameter: a positive number (1 when missing), else 400.
    pub fn parse(raw: Option<&str>) -> Result<i64, AppError> {
        match raw.map(str::trim) {
            None | Some("") => Ok(1),
            Some(p) => p
                .parse::<i64>()
                .ok()
                .filter(|p| (1..=1_000_000).contains(p))
                .ok_or(AppError::BadRequest),
        }
    }

    /// The offset of a page.
    pub fn offset(page: i64) -> i64 {
        (page.max(1) - 1) * Pager::SIZE
    }
}

pub use crate::error::OwnBody;

/// Render a template with a status.
pub fn render<T: Template>(status: StatusCode, page: &T) -> Result<HttpResponse, AppError> {
    let html = page.render()?;
    let mut res = HttpResponse::build(status)
        .content_type("text/html; charset=utf-8")
        .body(html);
    if status.is_client_error() || status.is_server_error() {
        res.extensions_mut().insert(OwnBody);
    }
    Ok(res)
}

/// Render a template with 200.
pub fn ok<T: Template>(page: &T) -> Result<HttpResponse, AppError> {
    render(StatusCode::OK, page)
}

/// `303 See Other` to `to`.
pub fn see_other(to: &str) -> HttpResponse {
    HttpResponse::SeeOther()
        .insert_header((header::LOCATION, to))
        .finish()
}

/// The error page (drawn by the frame for every error status).
#[derive(Template)]
#[template(path = "error.html")]
pub struct ErrorPage {
    pub c: Chrome,
    pub status: u16,
    pub message: &'static str,
}

/// A page that only says something, with a way on.
#[derive(Template)]
#[template(path = "message.html")]
pub struct MessagePage {
    pub c: Chrome,
    pub title: &'static str,
    pub message: &'static str,
    pub link: String,
    pub link_text: &'static str,
}
