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

impl ColType {
    /// The PostgreSQL type parameters of this column are cast to.
    pub fn pg_type(self) -> &'static str {
        match self {
            ColType::Uuid => "uuid",
            ColType::Text => "text",
            ColType::Int => "int8",
            ColType::Bool => "bool",
            ColType::Time => "timestamptz",
            ColType::Json => "jsonb",
        }
    }
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
    /// Whether reads show it (`api_keys.key_hash` is written, never shown).
    pub readable: bool,
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

mod tables;

pub use tables::{RELATIONSHIPS, TABLES};

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
        // The constraint's name or a column of the foreign key, as PostgREST reads hints.
        Some(h) => r.name == h || r.from_columns.contains(&h),
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
    let mut found = found.into_iter();
    match (found.next(), found.next()) {
        (Some(one), None) => Ok(one),
        (None, _) => {
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
