//! Contact identities shared by both backends: what a contact address looks like after
//! an inbound message, and which key each sender of a batch ends up under when phones
//! and business-scoped user IDs (BSUIDs) meet.
//!
//! A contact address is keyed by its phone's canonical key when the phone is known, and
//! by its BSUID otherwise. When a message brings a BSUID that the store already has
//! under another key (the customer first wrote without a phone, or changed number), the
//! older address is merged into the new key: one contact, one conversation per number,
//! no split history.

use std::collections::HashMap;

use wakit_core::text::fold;
use wakit_core::{OrgId, Sender};

/// A contact address's fields that inbound messages update, with its contact's name.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AddressFields {
    /// The phone digits in the form Meta last used, or the BSUID of a customer who
    /// shared no phone (the `phone` the API shows: what a send addresses).
    pub wa_id: String,
    /// WhatsApp profile name.
    pub profile_name: Option<String>,
    /// Folded contact name (else profile name) and username, for search and ordering.
    pub search_name: String,
    /// The linked contact's name.
    pub contact_name: Option<String>,
    /// The customer's BSUID.
    pub user_id: Option<String>,
    /// The customer's parent BSUID.
    pub parent_user_id: Option<String>,
    /// The customer's WhatsApp username.
    pub username: Option<String>,
}

/// The search column's value: the folded display name, then the folded username.
pub fn search_name(display: Option<&str>, username: Option<&str>) -> String {
    let mut s = fold(display.unwrap_or_default());
    if let Some(u) = username.map(fold).filter(|u| !u.is_empty()) {
        if !s.is_empty() {
            s.push(' ');
        }
        s.push_str(&u);
    }
    s
}

impl AddressFields {
    /// A new address for `sender`; its new contact is named after the profile name.
    pub fn created(sender: &Sender, profile: Option<&str>) -> AddressFields {
        AddressFields {
            wa_id: sender.address().to_string(),
            profile_name: profile.map(str::to_string),
            search_name: search_name(profile, sender.username.as_deref()),
            contact_name: profile.map(str::to_string),
            user_id: sender.user_id.as_ref().map(ToString::to_string),
            parent_user_id: sender.parent_user_id.as_ref().map(ToString::to_string),
            username: sender.username.clone(),
        }
    }

    /// The address after an inbound message: Meta's form of the phone (a BSUID-only
    /// message keeps the phone already known), the profile name, BSUIDs and username
    /// when given; the search name follows.
    pub fn after_inbound(&self, sender: &Sender, profile: Option<&str>) -> AddressFields {
        let keep = |new: Option<String>, old: &Option<String>| new.or_else(|| old.clone());
        let profile_name = keep(profile.map(str::to_string), &self.profile_name);
        let username = keep(sender.username.clone(), &self.username);
        let display = self.contact_name.as_deref().or(profile_name.as_deref());
        AddressFields {
            wa_id: match &sender.phone {
                Some(p) => p.digits().to_string(),
                None => self.wa_id.clone(),
            },
            search_name: search_name(display, username.as_deref()),
            profile_name,
            contact_name: self.contact_name.clone(),
            user_id: keep(
                sender.user_id.as_ref().map(ToString::to_string),
                &self.user_id,
            ),
            parent_user_id: keep(
                sender.parent_user_id.as_ref().map(ToString::to_string),
                &self.parent_user_id,
            ),
            username,
        }
    }
}

/// Moves everything of the org's contact address `from` under the key `to`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Merge {
    /// The organization.
    pub org: OrgId,
    /// The key the customer's history is under now.
    pub from: String,
    /// The key it moves to.
    pub to: String,
}

/// The keys of a batch's senders, in order, and the merges to apply before anything of
/// the batch is written. `known` maps (org, BSUID) to the key the store has it under.
/// A BSUID goes under the phone of the batch's last message that brings one, else where
/// the store has it, else under itself; every message of that BSUID in the batch then
/// uses that key (as ingesting them one by one would end).
pub fn plan_keys<'a>(
    senders: impl Iterator<Item = (OrgId, &'a Sender)> + Clone,
    known: &HashMap<(OrgId, String), String>,
) -> (Vec<String>, Vec<Merge>) {
    let mut target: HashMap<(OrgId, String), String> = HashMap::new();
    for (org, s) in senders.clone() {
        let Some(u) = &s.user_id else { continue };
        let id = (org, u.to_string());
        match &s.phone {
            Some(p) => {
                target.insert(id, p.key());
            }
            None => {
                let existing = known.get(&id).cloned().unwrap_or_else(|| u.to_string());
                target.entry(id).or_insert(existing);
            }
        }
    }
    let mut merges: Vec<Merge> = target
        .iter()
        .filter_map(|(id, to)| {
            let from = known.get(id)?;
            (from != to).then(|| Merge {
                org: id.0,
                from: from.clone(),
                to: to.clone(),
            })
        })
        .collect();
    merges.sort_by(|a, b| (a.org, &a.from).cmp(&(b.org, &b.from)));
    let keys = senders
        .map(|(org, s)| match &s.user_id {
            Some(u) => target
                .get(&(org, u.to_string()))
                .cloned()
                .unwrap_or_else(|| s.key()),
            None => s.key(),
        })
        .collect();
    (keys, merges)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use wakit_core::{Phone, UserId};

    fn sender(phone: Option<&str>, user: Option<&str>) -> Sender {
        Sender::new(
            phone.map(|p| Phone::parse(p).unwrap()),
            user.map(|u| UserId::parse(u).unwrap()),
        )
        .unwrap()
    }

    #[test]
    fn a_bsuid_follows_the_phone_that_arrives_with_it() {
        let org = OrgId::new();
        let known = HashMap::from([((org, "MX.1".to_string()), "MX.1".to_string())]);
        let batch = [
            sender(None, Some("MX.1")),
            sender(Some("5215512345678"), Some("MX.1")),
            sender(Some("14155550000"), None),
        ];
        let (keys, merges) = plan_keys(batch.iter().map(|s| (org, s)), &known);
        assert_eq!(keys, ["5215512345678", "5215512345678", "14155550000"]);
        assert_eq!(
            merges,
            [Merge {
                org,
                from: "MX.1".into(),
                to: "5215512345678".into()
            }]
        );
    }

    #[test]
    fn a_bsuid_alone_stays_where_the_store_has_it() {
        let (a, b) = (OrgId::new(), OrgId::new());
        let known = HashMap::from([((a, "MX.1".to_string()), "5215512345678".to_string())]);
        let batch = [sender(None, Some("MX.1"))];
        let (keys, merges) =
            plan_keys(batch.iter().map(|s| (a, s)).chain([(b, &batch[0])]), &known);
        // The same BSUID in another org is another customer.
        assert_eq!(keys, ["5215512345678", "MX.1"]);
        assert!(merges.is_empty());
    }

    #[test]
    fn search_names_carry_the_username() {
        assert_eq!(
            search_name(Some("Ana María"), Some("@Ana")),
            "ana maria @ana"
        );
        assert_eq!(search_name(None, Some("@ana")), "@ana");
        assert_eq!(search_name(Some("Ana"), None), "ana");
    }
}
