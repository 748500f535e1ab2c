//! The request as the clients wrote it, before the registry gives it meaning.

use std::collections::BTreeMap;

/// A column reference, maybe followed by a JSON path (`extra->a->>b`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Field {
    /// The column name.
    pub name: String,
    /// The JSON path steps after it.
    pub path: Vec<JsonStep>,
}

/// One `->key` (JSON result) or `->>key` (text result) step.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct JsonStep {
    /// The key, or an array index when all digits.
    pub key: String,
    /// `->>`: the step yields text rather than JSON.
    pub as_text: bool,
}

impl Field {
    /// The key this field has in the output: the last JSON key, else the column.
    pub fn output_key(&self) -> &str {
        self.path.last().map_or(&self.name, |s| &s.key)
    }
}

/// How an embed joins its parent.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum JoinKind {
    /// The default: parents without a match stay (embed `null` or `[]`).
    Left,
    /// `!inner`: parents without a match are dropped.
    Inner,
}

/// One item of `select`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SelectItem {
    /// `*`: every column.
    Star,
    /// A column or JSON path, maybe aliased and cast.
    Field {
        /// What is read.
        field: Field,
        /// `alias:`.
        alias: Option<String>,
        /// `::type`.
        cast: Option<String>,
    },
    /// `alias:rel!hint!inner(...)`.
    Embed(Embed),
}

/// An embedded resource.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Embed {
    /// The table (or relationship) name.
    pub name: String,
    /// `alias:`.
    pub alias: Option<String>,
    /// `!fk_or_column`: picks one of several relationships.
    pub hint: Option<String>,
    /// `!inner` / `!left`.
    pub join: JoinKind,
    /// The embed's own select; empty for `rel()` (used to filter, not shown).
    pub select: Vec<SelectItem>,
    /// `...rel(cols)`: the columns join the parent object (to-one embeds only).
    pub spread: bool,
}

impl Embed {
    /// The name that filters and the output use: the alias, else the relation name.
    pub fn key(&self) -> &str {
        self.alias.as_deref().unwrap_or(&self.name)
    }
}

/// A comparison operator.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CmpOp {
    /// `eq`.
    Eq,
    /// `neq`.
    Neq,
    /// `gt`.
    Gt,
    /// `gte`.
    Gte,
    /// `lt`.
    Lt,
    /// `lte`.
    Lte,
}

/// The value of an `is.` filter.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum IsValue {
    /// `null`.
    Null,
    /// `not_null`.
    NotNull,
    /// `true`.
    True,
    /// `false`.
    False,
    /// `unknown` (a null boolean).
    Unknown,
}

/// An operator with its raw value (still text: the column type gives it meaning).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Op {
    /// `eq`, `neq`, `gt`, ...
    Cmp(CmpOp, String),
    /// `like` / `ilike`, with `*` already turned into `%`.
    Like {
        /// `ilike`.
        insensitive: bool,
        /// The pattern.
        pattern: String,
    },
    /// `is.`.
    Is(IsValue),
    /// `isdistinct.`.
    IsDistinct(String),
    /// `in.(a,b)`.
    In(Vec<String>),
    /// `cs.`: the column contains the value.
    Contains(String),
    /// `cd.`: the column is contained by the value.
    ContainedBy(String),
}

/// A filter condition, or a logic tree of them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Condition {
    /// `field=[not.]op.value`.
    Filter {
        /// The column (or, at plan time, an embed for `rel=is.null`).
        field: Field,
        /// `not.`.
        negate: bool,
        /// The operator.
        op: Op,
    },
    /// `and=(...)`, `or=(...)`, `not.or=(...)`.
    Logic {
        /// `not.`.
        negate: bool,
        /// `or` rather than `and`.
        or: bool,
        /// The children.
        children: Vec<Condition>,
    },
}

/// Where NULLs go in an order term.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Nulls {
    /// `nullsfirst`.
    First,
    /// `nullslast`.
    Last,
}

/// One `order` term.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OrderTerm {
    /// `rel(col)`: the column of a to-one embed of this level.
    pub relation: Option<String>,
    /// The column or JSON path.
    pub field: Field,
    /// `desc`.
    pub descending: bool,
    /// `nullsfirst`/`nullslast`, else the PostgreSQL default.
    pub nulls: Option<Nulls>,
}

/// Filters, order and paging of one level (the top, or an embed path).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct LevelOptions {
    /// All conditions, and-ed.
    pub conditions: Vec<Condition>,
    /// `order`.
    pub order: Vec<OrderTerm>,
    /// `limit`.
    pub limit: Option<u64>,
    /// `offset`.
    pub offset: Option<u64>,
}

/// The parsed query string.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Query {
    /// `select`; `[Star]` when absent.
    pub select: Vec<SelectItem>,
    /// Options by embed path (the empty path is the top level).
    pub levels: BTreeMap<Vec<String>, LevelOptions>,
    /// `on_conflict=a,b` (trimmed).
    pub on_conflict: Option<Vec<String>>,
    /// `columns="a","b"` (trimmed, unquoted).
    pub columns: Option<Vec<String>>,
}
