//! The ten tenant tables as the API exposes them: columns and types, keys, foreign keys
//! (incl. the composite conversations → contacts_addresses) and who may read them.
//! Identifiers in generated SQL come only from here.

use crate::error::{ErrorCode, RestError};

/// A column type, as both engines store it (see the migrations).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ColType {
    /// uuid / TEXT.
    Uuid,
    /// text / TEXT.
    Text,
    /// integer / INTEGER.
    Int,
    /// boolean / INTEGER 0-1.
    Bool,
    /// timestamptz / INTEGER unix microseconds.
    Time,
    /// jsonb / TEXT.
    Json,
}

/// A column.
#[derive(Debug)]
pub struct Column {
    /// Its name.
    pub name: &'static str,
    /// Its type.
    pub ty: ColType,
    /// Whether NULL is allowed.
    pub nullable: bool,
    /// What an insert that omits the column stores.
    pub default: Default,
}

/// A column default. SQLite's tables have none for ids and times, so the planner fills
/// every default itself and both engines store the same row.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Default {
    /// None: NULL (or a NOT NULL violation).
    None,
    /// A new UUIDv7.
    NewId,
    /// The time of the request.
    Now,
    /// A text constant.
    Text(&'static str),
    /// An integer constant.
    Int(i64),
    /// A boolean constant.
    Bool(bool),
    /// A JSON constant.
    Json(&'static str),
}

/// The least membership role that may read a table (owner 3 > admin 2 > member 1).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum OrgRole {
    /// Any member.
    Member = 1,
    /// Admins and owners.
    Admin = 2,
    /// Owners.
    Owner = 3,
}

/// A table.
#[derive(Debug)]
pub struct Table {
    /// Its name.
    pub name: &'static str,
    /// Its columns, in output order.
    pub columns: &'static [Column],
    /// The primary key (for contacts_addresses the logical one).
    pub primary_key: &'static [&'static str],
    /// The column naming the row's organization (`id` for organizations).
    pub org_column: &'static str,
    /// Who may read rows (§10).
    pub read_role: OrgRole,
}

impl Table {
    /// A column by name; 42703 when there is none.
    pub fn column(&self, name: &str) -> Result<&'static Column, RestError> {
        let table = self.name;
        let columns: &'static [Column] = self.columns;
        columns.iter().find(|c| c.name == name).ok_or_else(|| {
            RestError::new(
                ErrorCode::UnknownColumn,
                format!("column {table}.{name} does not exist"),
            )
        })
    }
}

/// A many-to-one foreign key: `from.from_columns` → `to.to_columns` (unique).
#[derive(Debug)]
pub struct Relationship {
    /// The constraint name (a `!hint` may name it).
    pub name: &'static str,
    /// The referencing table.
    pub from: &'static str,
    /// Its columns.
    pub from_columns: &'static [&'static str],
    /// The referenced table.
    pub to: &'static str,
    /// Its (unique) columns.
    pub to_columns: &'static [&'static str],
}

const fn col(name: &'static str, ty: ColType) -> Column {
    Column {
        name,
        ty,
        nullable: false,
        default: Default::None,
    }
}

const fn opt(name: &'static str, ty: ColType) -> Column {
    Column {
        name,
        ty,
        nullable: true,
        default: Default::None,
    }
}

const fn dft(name: &'static str, ty: ColType, default: Default) -> Column {
    Column {
        name,
        ty,
        nullable: false,
        default,
    }
}

const EXTRA: Column = dft("extra", Json, Default::Json("{}"));
const STATUS_ACTIVE: Column = dft("status", Text, Default::Text("active"));
const SERVICE: Column = dft("service", Text, Default::Text("whatsapp"));

use ColType::{Bool, Int, Json, Text, Time, Uuid};

const ORG_ID: Column = col("organization_id", Uuid);
const ID: Column = dft("id", Uuid, Default::NewId);
const CREATED: Column = dft("created_at", Time, Default::Now);
const UPDATED: Column = dft("updated_at", Time, Default::Now);

/// Every exposed table. `webhooks.token_sealed` (a sealed secret) and SQLite's internal
/// `contacts_addresses.rid` are deliberately absent.
pub static TABLES: &[Table] = &[
    Table {
        name: "organizations",
        columns: &[
            ID,
            col("name", Text),
            dft("timezone", Text, Default::Text("UTC")),
            EXTRA,
            CREATED,
            UPDATED,
        ],
        primary_key: &["id"],
        org_column: "id",
        read_role: OrgRole::Member,
    },
    Table {
        name: "organizations_addresses",
        columns: &[
            ID,
            ORG_ID,
            SERVICE,
            col("address", Text),
            col("phone_number", Text),
            dft("verified_name", Text, Default::Text("")),
            dft("waba_id", Text, Default::Text("")),
            dft("status", Text, Default::Text("connected")),
            EXTRA,
            opt("templates_synced_at", Time),
            CREATED,
            UPDATED,
        ],
        primary_key: &["id"],
        org_column: "organization_id",
        read_role: OrgRole::Member,
    },
    Table {
        name: "contacts",
        columns: &[
            ID,
            ORG_ID,
            opt("name", Text),
            opt("name_folded", Text),
            EXTRA,
            STATUS_ACTIVE,
            CREATED,
            UPDATED,
        ],
        primary_key: &["id"],
        org_column: "organization_id",
        read_role: OrgRole::Member,
    },
    Table {
        name: "contacts_addresses",
        columns: &[
            ORG_ID,
            col("address", Text),
            SERVICE,
            col("wa_id", Text),
            opt("contact_id", Uuid),
            opt("profile_name", Text),
            dft("search_name", Text, Default::Text("")),
            EXTRA,
            STATUS_ACTIVE,
            CREATED,
            UPDATED,
            opt("user_id", Text),
            opt("parent_user_id", Text),
            opt("username", Text),
        ],
        primary_key: &["organization_id", "address"],
        org_column: "organization_id",
        read_role: OrgRole::Member,
    },
    Table {
        name: "conversations",
        columns: &[
            ID,
            ORG_ID,
            col("account_id", Uuid),
            col("contact_address", Text),
            opt("group_address", Text),
            opt("name", Text),
            STATUS_ACTIVE,
            EXTRA,
            opt("last_message_id", Uuid),
            opt("last_message_at", Time),
            opt("last_outgoing_at", Time),
            dft("unread_count", Int, Default::Int(0)),
            CREATED,
            UPDATED,
        ],
        primary_key: &["id"],
        org_column: "organization_id",
        read_role: OrgRole::Member,
    },
    Table {
        name: "messages",
        columns: &[
            ID,
            ORG_ID,
            col("conversation_id", Uuid),
            col("account_id", Uuid),
            col("contact_address", Text),
            col("direction", Text),
            col("content", Json),
            col("status", Text),
            dft("status_history", Json, Default::Json("{}")),
            opt("external_id", Text),
            opt("error", Json),
            opt("agent_id", Uuid),
            col("timestamp", Time),
            CREATED,
            UPDATED,
        ],
        primary_key: &["id"],
        org_column: "organization_id",
        read_role: OrgRole::Member,
    },
    Table {
        name: "agents",
        columns: &[
            ID,
            ORG_ID,
            opt("user_id", Uuid),
            col("name", Text),
            opt("picture", Text),
            dft("ai", Bool, Default::Bool(false)),
            EXTRA,
            CREATED,
            UPDATED,
        ],
        primary_key: &["id"],
        org_column: "organization_id",
        read_role: OrgRole::Member,
    },
    Table {
        name: "api_keys",
        columns: &[
            ID,
            ORG_ID,
            col("name", Text),
            dft("role", Text, Default::Text("member")),
            col("key_hash", Text),
            col("prefix", Text),
            opt("revoked_at", Time),
            CREATED,
            UPDATED,
        ],
        primary_key: &["id"],
        org_column: "organization_id",
        read_role: OrgRole::Owner,
    },
    Table {
        name: "webhooks",
        columns: &[
            ID,
            ORG_ID,
            opt("organization_address", Uuid),
            col("table_name", Text),
            dft("operations", Json, Default::Json("[]")),
            col("url", Text),
            CREATED,
            UPDATED,
        ],
        primary_key: &["id"],
        org_column: "organization_id",
        read_role: OrgRole::Admin,
    },
    Table {
        name: "quick_replies",
        columns: &[
            ID,
            ORG_ID,
            col("name", Text),
            col("content", Text),
            CREATED,
            UPDATED,
        ],
        primary_key: &["id"],
        org_column: "organization_id",
        read_role: OrgRole::Member,
    },
];

const fn org_fk(name: &'static str, from: &'static str) -> Relationship {
    Relationship {
        name,
        from,
        from_columns: &["organization_id"],
        to: "organizations",
        to_columns: &["id"],
    }
}

/// The foreign keys, named as PostgreSQL names them (`<table>_<column>_fkey`).
pub static RELATIONSHIPS: &[Relationship] = &[
    org_fk(
        "organizations_addresses_organization_id_fkey",
        "organizations_addresses",
    ),
    org_fk("contacts_organization_id_fkey", "contacts"),
    org_fk(
        "contacts_addresses_organization_id_fkey",
        "contacts_addresses",
    ),
    org_fk("conversations_organization_id_fkey", "conversations"),
    org_fk("messages_organization_id_fkey", "messages"),
    org_fk("agents_organization_id_fkey", "agents"),
    org_fk("api_keys_organization_id_fkey", "api_keys"),
    org_fk("webhooks_organization_id_fkey", "webhooks"),
    org_fk("quick_replies_organization_id_fkey", "quick_replies"),
    Relationship {
        name: "contacts_addresses_contact_id_fkey",
        from: "contacts_addresses",
        from_columns: &["contact_id"],
        to: "contacts",
        to_columns: &["id"],
    },
    Relationship {
        name: "conversations_account_id_fkey",
        from: "conversations",
        from_columns: &["account_id"],
        to: "organizations_addresses",
        to_columns: &["id"],
    },
    // Declared for the API (the hosted product has it); the database enforces it by
    // the ingest path rather than a constraint.
    Relationship {
        name: "conversations_contact_address_fkey",
        from: "conversations",
        from_columns: &["organization_id", "contact_address"],
        to: "contacts_addresses",
        to_columns: &["organization_id", "address"],
    },
    Relationship {
        name: "messages_conversation_id_fkey",
        from: "messages",
        from_columns: &["conversation_id"],
        to: "conversations",
        to_columns: &["id"],
    },
    Relationship {
        name: "messages_account_id_fkey",
        from: "messages",
        from_columns: &["account_id"],
        to: "organizations_addresses",
        to_columns: &["id"],
    },
    Relationship {
        name: "webhooks_organization_address_fkey",
        from: "webhooks",
        from_columns: &["organization_address"],
        to: "organizations_addresses",
        to_columns: &["id"],
    },
];

/// A table by name; PGRST205 when there is none.
pub fn table(name: &str) -> Result<&'static Table, RestError> {
    TABLES.iter().find(|t| t.name == name).ok_or_else(|| {
        let e = RestError::new(
            ErrorCode::UnknownTable,
            format!("Could not find the table 'public.{name}' in the schema cache"),
        );
        match TABLES
            .iter()
            .find(|t| t.name.starts_with(name) || name.starts_with(t.name))
        {
            Some(t) => e.hint(format!("Perhaps you meant the table 'public.{}'", t.name)),
            None => e,
        }
    })
}

/// How an embed joins its parent: `parent.parent_columns = child.child_columns`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Join {
    /// Parent-side columns.
    pub parent_columns: &'static [&'static str],
    /// Child-side columns.
    pub child_columns: &'static [&'static str],
    /// The child is one row at most (the parent holds the foreign key).
    pub to_one: bool,
}

/// Finds the one relationship between `parent` and the embedded `child`, narrowed by a
/// `!hint` (constraint name or a column of the foreign key). PGRST200 if none, PGRST201
/// if several.
pub fn relationship(parent: &str, child: &str, hint: Option<&str>) -> Result<Join, RestError> {
    let matches_hint = |r: &Relationship| match hint {
        None => true,
        Some(h) => {
            r.name == h
                || r.from_columns.contains(&h)
                || r.to_columns.contains(&h) && r.from_columns.len() == 1
        }
    };
    let found: Vec<Join> = RELATIONSHIPS
        .iter()
        .filter(|r| matches_hint(r))
        .filter_map(|r| {
            if r.from == parent && r.to == child {
                Some(Join {
                    parent_columns: r.from_columns,
                    child_columns: r.to_columns,
                    to_one: true,
                })
            } else if r.to == parent && r.from == child {
                Some(Join {
                    parent_columns: r.to_columns,
                    child_columns: r.from_columns,
                    to_one: false,
                })
            } else {
                None
            }
        })
        .collect();
    match found.len() {
        1 => Ok(found.into_iter().next().expect("one element")),
        0 => {
            let e = RestError::new(
                ErrorCode::NoRelationship,
                format!("Could not find a relationship between '{parent}' and '{child}' in the schema cache"),
            );
            Err(match hint {
                Some(h) => e.details(format!(
                    "Searched for a foreign key relationship between '{parent}' and '{child}' using the hint '{h}' in the schema 'public', but no matches were found."
                )),
                None => e.details(format!(
                    "Searched for a foreign key relationship between '{parent}' and '{child}' in the schema 'public', but no matches were found."
                )),
            })
        }
        _ => Err(RestError::new(
            ErrorCode::AmbiguousRelationship,
            format!("Could not embed because more than one relationship was found for '{parent}' and '{child}'"),
        )
        .hint(format!(
            "Try changing '{child}' to one of the relationship names with a hint: {child}!<constraint or column>"
        ))),
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn unknown_names_are_typed_errors() {
        assert_eq!(table("nope").unwrap_err().code.code(), "PGRST205");
        assert_eq!(table("nope").unwrap_err().status(), 404);
        let e = table("contact").unwrap_err();
        assert_eq!(
            e.hint.as_deref(),
            Some("Perhaps you meant the table 'public.contacts'")
        );
        let e = table("contacts").unwrap().column("nope").unwrap_err();
        assert_eq!(
            (e.code.code(), e.message.as_str()),
            ("42703", "column contacts.nope does not exist")
        );
    }

    #[test]
    fn relationships_both_ways_and_composite() {
        let j = relationship("conversations", "contacts_addresses", None).unwrap();
        assert!(j.to_one);
        assert_eq!(j.parent_columns, &["organization_id", "contact_address"]);
        assert_eq!(j.child_columns, &["organization_id", "address"]);
        let j = relationship("conversations", "messages", None).unwrap();
        assert!(!j.to_one);
        assert_eq!(j.child_columns, &["conversation_id"]);
        let e = relationship("contacts", "webhooks", None).unwrap_err();
        assert_eq!(e.code.code(), "PGRST200");
        let j = relationship("contacts_addresses", "contacts", Some("contact_id")).unwrap();
        assert!(j.to_one);
        assert!(relationship("contacts_addresses", "contacts", Some("x")).is_err());
    }

    #[test]
    fn every_relationship_names_real_columns() {
        for r in RELATIONSHIPS {
            let (from, to) = (table(r.from).unwrap(), table(r.to).unwrap());
            for c in r.from_columns {
                from.column(c).unwrap();
            }
            for c in r.to_columns {
                to.column(c).unwrap();
            }
        }
    }
}
