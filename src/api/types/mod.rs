//! The JSON bodies of the API (SPEC 9), with their OpenAPI schemas.

use chrono::{NaiveDate, NaiveDateTime};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::domain::counting::{CountReason, UserStatus};
use crate::models::User;

mod orders;
pub use orders::*;

/// An account's figures.
#[derive(Serialize, ToSchema)]
pub struct AccountBody {
    pub id: i64,
    pub name: String,
    /// IANA time zone; "today" is the date there.
    pub time_zone: String,
    #[schema(format = Date)]
    pub today: String,
    pub licenses: i64,
    /// Users counted today.
    pub active_users: i64,
    /// Licenses less counted users; negative when over.
    pub free_licenses: i64,
    /// What pending orders ask for in all.
    pub pending_quantity: i64,
    /// Each future day on which the licenses owned take a new figure
    /// (`day` its first day), oldest first: temporary licenses ending,
    /// dated orders starting (one account's answer only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub licenses_changes: Option<Vec<LicensesOnBody>>,
}

/// The licenses owned from a day on.
#[derive(Serialize, ToSchema)]
pub struct LicensesOnBody {
    #[schema(format = Date)]
    pub day: String,
    pub licenses: i64,
}

/// A row of the license ledger (SPEC 12).
#[derive(Serialize, ToSchema)]
pub struct LedgerEntryBody {
    pub id: i64,
    /// The first day it counts (the account's time zone).
    #[schema(format = Date)]
    pub starts_on: String,
    /// The last day it counts; null: for good.
    #[schema(format = Date)]
    pub ends_on: Option<String>,
    /// Signed: a reduction or a negative adjustment is below 0.
    pub change: i64,
    /// `initial`, `order` or `adjustment`.
    pub kind: String,
    pub order_id: Option<i64>,
    /// An adjustment's reason.
    pub reason: Option<String>,
}

/// `GET /api/v1/licenses`: the ledger, newest first, and the licenses
/// owned from each day the figure changes, oldest first.
#[derive(Serialize, ToSchema)]
pub struct LicensesBody {
    pub entries: Vec<LedgerEntryBody>,
    pub timeline: Vec<LicensesOnBody>,
}

#[derive(Serialize, ToSchema)]
pub struct AccountList {
    pub accounts: Vec<AccountBody>,
    pub page: i64,
    pub per_page: i64,
    pub total: i64,
}

#[derive(Clone, Copy, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum StatusJson {
    Active,
    Passive,
}

impl From<UserStatus> for StatusJson {
    fn from(s: UserStatus) -> Self {
        match s {
            UserStatus::Active => StatusJson::Active,
            UserStatus::Passive => StatusJson::Passive,
        }
    }
}

/// Why a user is or is not counted.
#[derive(Clone, Copy, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ReasonJson {
    Counted,
    CountedFutureStart,
    Passive,
    Ended,
}

/// A user and whether it is counted on the day asked about.
#[derive(Serialize, ToSchema)]
pub struct UserBody {
    pub employee_number: String,
    pub name: String,
    pub status: StatusJson,
    #[schema(format = Date)]
    pub start_date: String,
    #[schema(format = Date)]
    pub end_date: Option<String>,
    /// The unit (store, site, department), null for none.
    #[schema(max_length = 100)]
    pub unit: Option<String>,
    pub counted: bool,
    pub reason: ReasonJson,
}

impl UserBody {
    pub fn of(user: &User, day: NaiveDate) -> UserBody {
        let reason = user.reason(day);
        UserBody {
            employee_number: user.employee_number.clone(),
            name: user.name.clone(),
            status: user.status.into(),
            start_date: user.start_date.to_string(),
            end_date: user.end_date.map(|d| d.to_string()),
            unit: user.unit.clone(),
            counted: reason.is_counted(),
            reason: match reason {
                CountReason::Counted => ReasonJson::Counted,
                CountReason::CountedStartsOn(_) => ReasonJson::CountedFutureStart,
                CountReason::Passive => ReasonJson::Passive,
                CountReason::EndedOn(_) => ReasonJson::Ended,
            },
        }
    }
}

/// Which users a list shows (without it, all of them).
#[derive(Clone, Copy, Serialize, ToSchema)]
#[serde(rename_all = "kebab-case")]
pub enum FilterJson {
    Counted,
    Passive,
    Ended,
    EndingSoon,
    FutureStart,
}

#[derive(Serialize, ToSchema)]
pub struct UserList {
    pub users: Vec<UserBody>,
    pub page: i64,
    pub per_page: i64,
    pub total: i64,
}

/// The active-user report of a day.
#[derive(Serialize, ToSchema)]
pub struct ReportBody {
    #[schema(format = Date)]
    pub day: String,
    pub active_users: i64,
    pub licenses: i64,
    /// The counted users; for a day before today as they stood at the end of that day, from history (empty before any history, when only its count is kept).
    pub users: Vec<UserBody>,
    /// The counted users by unit (as they stood that day), most first; `unit` null for the users without one.
    pub by_unit: Vec<UnitCount>,
}

/// The users counted in one unit.
#[derive(Serialize, ToSchema)]
pub struct UnitCount {
    pub unit: Option<String>,
    pub active_users: i64,
}

#[derive(Serialize, ToSchema)]
pub struct DayBody {
    #[schema(format = Date)]
    pub day: String,
    pub active_users: i64,
    pub licenses: i64,
}

#[derive(Serialize, ToSchema)]
pub struct HistoryBody {
    pub days: Vec<DayBody>,
}

/// RFC 3339 in UTC.
pub fn rfc3339(at: NaiveDateTime) -> String {
    at.and_utc()
        .to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

/// One user of a sync, as in a row of the users CSV.
#[derive(Serialize, ToSchema)]
pub struct SyncUser {
    #[schema(min_length = 1, max_length = 64)]
    pub employee_number: String,
    #[schema(min_length = 1, max_length = 200)]
    pub name: String,
    pub status: StatusJson,
    #[schema(format = Date)]
    pub start_date: String,
    /// Empty or null for none; not before the start date.
    #[schema(format = Date)]
    pub end_date: Option<String>,
    /// The unit: left out, the user's unit is left as it is; empty or
    /// null clears it. At most 100 characters, no control characters.
    #[schema(max_length = 100)]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub unit: Option<String>,
}

/// Every user of an account the WFM product knows, at once: all are
/// written or none.
#[derive(Serialize, ToSchema)]
pub struct SyncRequest {
    #[schema(min_items = 1, max_items = 200000)]
    pub users: Vec<SyncUser>,
}

#[derive(Serialize, ToSchema)]
pub struct SyncResult {
    pub created: usize,
    pub updated: usize,
    pub unchanged: usize,
}

/// A JSON value read loosely, so that a wrong type is named by its field
/// (422) rather than failing the whole body (400), without building a
/// tree of the 100,000 users of a sync.
#[derive(Debug, Default)]
pub enum Loose {
    Text(String),
    #[default]
    Null,
    Other,
}

impl Loose {
    /// The text, "" for null (an empty end date), None for another type.
    pub fn as_cell(&self) -> Option<&str> {
        match self {
            Loose::Text(s) => Some(s),
            Loose::Null => Some(""),
            Loose::Other => None,
        }
    }
}

impl<'de> Deserialize<'de> for Loose {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Loose, D::Error> {
        struct V;
        impl<'de> serde::de::Visitor<'de> for V {
            type Value = Loose;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("any JSON value")
            }
            fn visit_str<E>(self, v: &str) -> Result<Loose, E> {
                Ok(Loose::Text(v.to_string()))
            }
            fn visit_string<E>(self, v: String) -> Result<Loose, E> {
                Ok(Loose::Text(v))
            }
            fn visit_unit<E>(self) -> Result<Loose, E> {
                Ok(Loose::Null)
            }
            fn visit_none<E>(self) -> Result<Loose, E> {
                Ok(Loose::Null)
            }
            fn visit_some<D: serde::Deserializer<'de>>(self, d: D) -> Result<Loose, D::Error> {
                Loose::deserialize(d)
            }
            fn visit_bool<E>(self, _: bool) -> Result<Loose, E> {
                Ok(Loose::Other)
            }
            fn visit_i64<E>(self, _: i64) -> Result<Loose, E> {
                Ok(Loose::Other)
            }
            fn visit_u64<E>(self, _: u64) -> Result<Loose, E> {
                Ok(Loose::Other)
            }
            fn visit_f64<E>(self, _: f64) -> Result<Loose, E> {
                Ok(Loose::Other)
            }
            fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut a: A) -> Result<Loose, A::Error> {
                while a.next_element::<serde::de::IgnoredAny>()?.is_some() {}
                Ok(Loose::Other)
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(self, mut a: A) -> Result<Loose, A::Error> {
                while a
                    .next_entry::<serde::de::IgnoredAny, serde::de::IgnoredAny>()?
                    .is_some()
                {}
                Ok(Loose::Other)
            }
        }
        d.deserialize_any(V)
    }
}

/// A user of a sync as sent; checked by the import's rules.
#[derive(Deserialize, Default)]
pub struct LooseUser {
    #[serde(default)]
    pub employee_number: Loose,
    #[serde(default)]
    pub name: Loose,
    #[serde(default)]
    pub status: Loose,
    #[serde(default)]
    pub start_date: Loose,
    #[serde(default)]
    pub end_date: Loose,
    /// Absent: the unit is left as it is; null or empty clears it.
    #[serde(default, deserialize_with = "present")]
    pub unit: Option<Loose>,
}

/// A field that is there, whatever its value (null included).
fn present<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<Loose>, D::Error> {
    Loose::deserialize(d).map(Some)
}

/// The most users one sync may name (the 32 MiB body holds about 200,000
/// real ones; `{}` a user would otherwise make millions).
pub const MAX_SYNC_USERS: usize = 200_000;

/// What a refused sync body said, for the problem's detail.
pub const TOO_MANY_USERS: &str = "too many users";

#[derive(Deserialize)]
pub struct LooseSync {
    #[serde(deserialize_with = "capped_users")]
    pub users: Vec<LooseUser>,
}

/// `users`, stopped at the first user over `MAX_SYNC_USERS`.
fn capped_users<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Vec<LooseUser>, D::Error> {
    struct V;
    impl<'de> serde::de::Visitor<'de> for V {
        type Value = Vec<LooseUser>;
        fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
            f.write_str("a list of users")
        }
        fn visit_seq<A: serde::de::SeqAccess<'de>>(
            self,
            mut seq: A,
        ) -> Result<Self::Value, A::Error> {
            let mut users = Vec::with_capacity(seq.size_hint().unwrap_or(0).min(4096));
            while let Some(user) = seq.next_element::<LooseUser>()? {
                if users.len() == MAX_SYNC_USERS {
                    return Err(serde::de::Error::custom(TOO_MANY_USERS));
                }
                users.push(user);
            }
            Ok(users)
        }
    }
    d.deserialize_seq(V)
}
