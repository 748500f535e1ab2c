//! The tables and foreign keys, as the migrations define them.

use super::{ColType, Column, Default, OrgRole, Relationship, Table};
use ColType::{Bool, Int, Json, Text, Time, Uuid};

const fn col(name: &'static str, ty: ColType) -> Column {
    Column {
        name,
        ty,
        nullable: false,
        default: Default::None,
        readable: true,
    }
}

/// A column written by wakit and never read back (a key's hash).
const fn hidden(name: &'static str, ty: ColType) -> Column {
    Column {
        readable: false,
        ..col(name, ty)
    }
}

const fn opt(name: &'static str, ty: ColType) -> Column {
    Column {
        name,
        ty,
        nullable: true,
        default: Default::None,
        readable: true,
    }
}

const fn dft(name: &'static str, ty: ColType, default: Default) -> Column {
    Column {
        name,
        ty,
        nullable: false,
        default,
        readable: true,
    }
}

const EXTRA: Column = dft("extra", Json, Default::Json("{}"));
const STATUS_ACTIVE: Column = dft("status", Text, Default::Text("active"));
const SERVICE: Column = dft("service", Text, Default::Text("whatsapp"));

const ORG_ID: Column = col("organization_id", Uuid);
const ID: Column = dft("id", Uuid, Default::NewId);
const CREATED: Column = dft("created_at", Time, Default::Now);
const UPDATED: Column = dft("updated_at", Time, Default::Now);

/// A table of one organization's rows, keyed by `id`.
const fn tenant(name: &'static str, columns: &'static [Column], read_role: OrgRole) -> Table {
    Table {
        name,
        columns,
        primary_key: &["id"],
        org_column: "organization_id",
        read_role,
    }
}

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
    tenant(
        "organizations_addresses",
        &[
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
        OrgRole::Member,
    ),
    tenant(
        "contacts",
        &[
            ID,
            ORG_ID,
            opt("name", Text),
            opt("name_folded", Text),
            EXTRA,
            STATUS_ACTIVE,
            CREATED,
            UPDATED,
        ],
        OrgRole::Member,
    ),
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
    tenant(
        "conversations",
        &[
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
        OrgRole::Member,
    ),
    tenant(
        "messages",
        &[
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
        OrgRole::Member,
    ),
    tenant(
        "agents",
        &[
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
        OrgRole::Member,
    ),
    tenant(
        "api_keys",
        &[
            ID,
            ORG_ID,
            col("name", Text),
            dft("role", Text, Default::Text("member")),
            hidden("key_hash", Text),
            col("prefix", Text),
            opt("revoked_at", Time),
            CREATED,
            UPDATED,
        ],
        OrgRole::Owner,
    ),
    tenant(
        "webhooks",
        &[
            ID,
            ORG_ID,
            opt("organization_address", Uuid),
            col("table_name", Text),
            dft("operations", Json, Default::Json("[]")),
            col("url", Text),
            CREATED,
            UPDATED,
        ],
        OrgRole::Admin,
    ),
    tenant(
        "quick_replies",
        &[
            ID,
            ORG_ID,
            col("name", Text),
            col("content", Text),
            CREATED,
            UPDATED,
        ],
        OrgRole::Member,
    ),
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
