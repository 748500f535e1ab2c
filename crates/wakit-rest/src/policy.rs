//! The write policies of §10 as predicates on existing rows (`using`) and checks on the
//! rows written (`check`). Reads are in [`crate::auth::read_visibility`].

use uuid::Uuid;

use crate::ast::{CmpOp, IsValue, JsonStep};
use crate::auth::{Auth, Role, Visibility};
use crate::error::{ErrorCode, RestError};
use crate::plan::tree::{Expr, PlanOp, Pred};
use crate::registry::{OrgRole, Table};
use crate::value::Value;

/// A write command.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Command {
    Insert,
    Update,
    Delete,
}

/// Where written rows may land: organizations for any row, and organizations for AI
/// agents only (admins manage AI agents).
#[derive(Clone, Debug, Default)]
pub(crate) struct Check {
    /// None: anywhere (service role).
    pub any_row: Option<Vec<Uuid>>,
    pub ai_rows: Vec<Uuid>,
}

/// What a caller may do with one command on one table.
#[derive(Clone, Debug)]
pub(crate) struct Rule {
    /// Rows that may be updated or deleted (None: all).
    pub using: Option<Pred>,
    /// Rows that may be written.
    pub check: Check,
}

fn denied(table: &Table) -> RestError {
    RestError::new(
        ErrorCode::Forbidden,
        format!("permission denied for table {}", table.name),
    )
}

fn org_pred(orgs: Vec<Uuid>) -> Pred {
    Pred::Visible(Visibility::Orgs {
        orgs,
        own_row: None,
    })
}

fn column_pred(table: &'static Table, name: &str, op: PlanOp) -> Result<Pred, RestError> {
    Ok(Pred::Filter {
        expr: Expr {
            column: table.column(name)?,
            path: Vec::<JsonStep>::new(),
        },
        negate: false,
        op,
    })
}

/// The rule for `command` on `table` by `auth`, given the columns the body writes.
/// 42501 when no role may run the command at all (or an anonymous caller).
pub(crate) fn write_rule(
    table: &'static Table,
    command: Command,
    auth: &Auth,
    body_columns: &[&str],
) -> Result<Rule, RestError> {
    if auth.role == Role::ServiceRole {
        return Ok(Rule {
            using: None,
            check: Check::default(),
        });
    }
    if auth.role == Role::Anon {
        return Err(denied(table));
    }
    let least = |role| -> Result<Rule, RestError> {
        let orgs = auth.orgs_with(role);
        Ok(Rule {
            using: Some(org_pred(orgs.clone())),
            check: Check {
                any_row: Some(orgs),
                ai_rows: Vec::new(),
            },
        })
    };
    use Command::{Delete, Insert, Update};
    match (table.name, command) {
        // Any signed-in user (not an API key); the plan adds their owner agent.
        ("organizations", Insert) if auth.role == Role::Authenticated && auth.user_id.is_some() => {
            Ok(Rule {
                using: None,
                check: Check::default(),
            })
        }
        ("organizations", Update) if body_columns.contains(&"name") => least(OrgRole::Owner),
        ("organizations", Update) => least(OrgRole::Admin),
        ("organizations", Delete) => least(OrgRole::Owner),
        ("contacts" | "conversations", _) => least(OrgRole::Member),
        ("contacts_addresses", Update)
            if body_columns
                .iter()
                .any(|c| *c != "contact_id" && *c != "updated_at") =>
        {
            Err(denied(table).details("only contact_id may be changed on a contact address"))
        }
        ("contacts_addresses", _) | ("messages", Insert) => least(OrgRole::Member),
        ("webhooks" | "quick_replies", _) => least(OrgRole::Admin),
        ("api_keys", Insert | Delete) => least(OrgRole::Owner),
        ("agents", _) => agents_rule(table, command, auth, body_columns),
        _ => Err(denied(table)),
    }
}

/// Owners manage any agent; admins manage AI agents (never turning them human or moving
/// them); anyone may rename or delete their own agent row.
fn agents_rule(
    table: &'static Table,
    command: Command,
    auth: &Auth,
    body_columns: &[&str],
) -> Result<Rule, RestError> {
    let owners = auth.orgs_with(OrgRole::Owner);
    let admins = auth.orgs_with(OrgRole::Admin);
    let frozen = ["organization_id", "user_id", "ai", "extra", "id"];
    let touches_frozen = body_columns.iter().any(|c| frozen.contains(c));
    let self_columns = ["name", "picture", "updated_at"];
    let only_self_columns = body_columns.iter().all(|c| self_columns.contains(c));
    let mut options = vec![org_pred(owners.clone())];
    if command == Command::Delete || (command == Command::Update && !touches_frozen) {
        options.push(Pred::Logic {
            negate: false,
            or: false,
            children: vec![
                org_pred(admins.clone()),
                column_pred(table, "ai", PlanOp::Is(IsValue::True))?,
            ],
        });
    }
    let me = auth
        .user_id
        .filter(|_| command == Command::Delete || only_self_columns);
    if let Some(uid) = me {
        options.push(column_pred(
            table,
            "user_id",
            PlanOp::Cmp(CmpOp::Eq, Value::Uuid(uid)),
        )?);
    }
    Ok(Rule {
        using: Some(Pred::Logic {
            negate: false,
            or: true,
            children: options,
        }),
        check: Check {
            any_row: Some(owners),
            ai_rows: if command == Command::Insert {
                admins
            } else {
                Vec::new()
            },
        },
    })
}

impl Check {
    /// Whether a written row (its organization, and `ai` for agents) passes; 42501
    /// `new row violates row-level security policy` otherwise.
    pub fn row(
        &self,
        table: &Table,
        org: Option<&Value>,
        ai: Option<&Value>,
    ) -> Result<(), RestError> {
        let Some(orgs) = &self.any_row else {
            return Ok(());
        };
        let org = match org {
            Some(Value::Uuid(u)) => Some(*u),
            _ => None,
        };
        let allowed = org.is_some_and(|o| {
            orgs.contains(&o) || (self.ai_rows.contains(&o) && ai == Some(&Value::Bool(true)))
        });
        if allowed {
            Ok(())
        } else {
            Err(RestError::new(
                ErrorCode::Forbidden,
                format!(
                    "new row violates row-level security policy for table \"{}\"",
                    table.name
                ),
            ))
        }
    }
}
