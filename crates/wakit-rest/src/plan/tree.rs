//! The planned query: registry-checked names, typed values, and the policy predicate of
//! every level (the SQL renderers read only this).

use crate::ast::{CmpOp, IsValue, JsonStep, Nulls};
use crate::auth::Visibility;
use crate::registry::{ColType, Column, Join, Table};
use crate::value::Value;

/// One level of a read: a table, what it outputs, which rows.
#[derive(Clone, Debug)]
pub(crate) struct Node {
    pub table: &'static Table,
    /// The SQL alias (`t0`, `t1`, ...), unique in the plan.
    pub alias: String,
    pub outputs: Vec<Output>,
    /// And-ed; the first one is always the policy.
    pub preds: Vec<Pred>,
    pub order: Vec<OrderBy>,
    pub limit: Option<u64>,
    pub offset: Option<u64>,
}

/// A key of the output object.
#[derive(Clone, Debug)]
pub(crate) enum Output {
    Column {
        key: String,
        expr: Expr,
        cast: Option<Cast>,
    },
    Embed {
        key: String,
        child: Box<Node>,
        join: Join,
    },
    /// `...rel(cols)`: the to-one child's outputs as keys of this object.
    Spread { child: Box<Node>, join: Join },
}

/// `::text` / `::int` in `select`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Cast {
    Text,
    Int,
}

/// A column, maybe followed by a JSON path.
#[derive(Clone, Debug)]
pub(crate) struct Expr {
    pub column: &'static Column,
    pub path: Vec<JsonStep>,
}

/// What an expression yields.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum ExprType {
    Col(ColType),
    /// `->>`: text.
    JsonText,
    /// `->`: JSON.
    Json,
}

impl Expr {
    pub fn ty(&self) -> ExprType {
        match self.path.last() {
            None => ExprType::Col(self.column.ty),
            Some(s) if s.as_text => ExprType::JsonText,
            Some(_) => ExprType::Json,
        }
    }

    /// The type its values are parsed as.
    pub fn value_type(&self) -> ColType {
        match self.ty() {
            ExprType::Col(t) => t,
            ExprType::JsonText => ColType::Text,
            ExprType::Json => ColType::Json,
        }
    }
}

/// A predicate.
#[derive(Clone, Debug)]
pub(crate) enum Pred {
    /// The read policy.
    Visible(Visibility),
    Filter {
        expr: Expr,
        negate: bool,
        op: PlanOp,
    },
    Logic {
        negate: bool,
        or: bool,
        children: Vec<Pred>,
    },
    /// Agents: the row is not its organization's last owner (`extra.role`), so the
    /// last owner can be neither removed nor demoted (the hosted product's trigger).
    NotLastOwner,
    /// `!inner` (a matching child exists) or `rel=is.null` (none does).
    Exists {
        negate: bool,
        child: Box<Node>,
        join: Join,
    },
}

/// An operator with typed values.
#[derive(Clone, Debug)]
pub(crate) enum PlanOp {
    Cmp(CmpOp, Value),
    Like { insensitive: bool, pattern: String },
    Is(IsValue),
    IsDistinct(Value),
    In(Vec<Value>),
    Contains(serde_json::Value),
    ContainedBy(serde_json::Value),
}

/// An `ORDER BY` term.
#[derive(Clone, Debug)]
pub(crate) struct OrderBy {
    /// `rel(col)`: the expression is read from this to-one child.
    pub via: Option<(Box<Node>, Join)>,
    pub expr: Expr,
    pub descending: bool,
    pub nulls: Nulls,
}
