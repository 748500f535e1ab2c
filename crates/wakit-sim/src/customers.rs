//! The simulated customers, one per BSUID, found by phone, username or (parent) BSUID.

use chrono::{DateTime, Utc};
use std::collections::HashMap;

use crate::error::SimError;
use crate::identity::{
    CustomerIdentity, Sender, bsuid_for_phone, bsuid_for_username, is_bsuid, is_parent_bsuid,
    normalize_username, parent_bsuid, valid_username,
};
use crate::number::normalize_phone;

/// A simulated customer.
pub(crate) struct Customer {
    pub user_id: String,
    pub parent_user_id: String,
    pub phone: Option<String>,
    pub username: Option<String>,
    pub profile_name: String,
    /// Last time they wrote to each business number (phone-number id → time).
    pub last_inbound: HashMap<String, DateTime<Utc>>,
    /// Overrides the sandbox-wide `customers_read`.
    pub reads: Option<bool>,
}

impl Customer {
    /// What webhooks and answers show of this customer.
    pub(crate) fn identity(&self) -> CustomerIdentity {
        CustomerIdentity {
            user_id: self.user_id.clone(),
            parent_user_id: self.parent_user_id.clone(),
            phone: self.phone.clone(),
            username: self.username.clone(),
            profile_name: self.profile_name.clone(),
        }
    }
}

/// Every customer, by BSUID, with indexes.
#[derive(Default)]
pub(crate) struct Customers {
    by_id: HashMap<String, Customer>,
    by_phone: HashMap<String, String>,
    by_username: HashMap<String, String>,
    by_parent: HashMap<String, String>,
}

/// A sender checked and normalised.
struct Wanted {
    phone: Option<String>,
    username: Option<String>,
    user_id: Option<String>,
}

fn check(sender: &Sender) -> Result<Wanted, String> {
    let phone = match &sender.phone {
        Some(p) => Some(
            normalize_phone(p)
                .ok_or_else(|| format!("customer phone {p:?} must be 7-15 digits"))?,
        ),
        None => None,
    };
    let username = match &sender.username {
        Some(u) => {
            let u = normalize_username(u);
            if !valid_username(&u) {
                return Err(format!(
                    "username {u:?} must be 3-35 lower-case letters, digits, . or _"
                ));
            }
            Some(u)
        }
        None => None,
    };
    let user_id = match &sender.user_id {
        Some(b) if !is_bsuid(b) || is_parent_bsuid(b) => {
            return Err(format!(
                "user_id {b:?} must be a BSUID like US.13491208655302741918"
            ));
        }
        other => other.clone(),
    };
    if let Some(cc) = &sender.country {
        let fine = cc.len() == 2 && cc.bytes().all(|b| b.is_ascii_alphabetic());
        if !fine {
            return Err(format!(
                "country {cc:?} must be an ISO 3166 alpha-2 code like MX"
            ));
        }
    }
    if phone.is_none() && username.is_none() && user_id.is_none() {
        return Err("a customer needs a phone, a username or a user_id".into());
    }
    Ok(Wanted {
        phone,
        username,
        user_id,
    })
}

impl Customers {
    /// The customer with BSUID `id`.
    pub(crate) fn get(&self, id: &str) -> Option<&Customer> {
        self.by_id.get(id)
    }

    /// The customer `id` names: a phone (created when new), a BSUID (created when new),
    /// a parent BSUID or an `@username` (both must be known).
    pub(crate) fn by_any_mut(&mut self, id: &str) -> Result<&mut Customer, SimError> {
        let found = if id.starts_with('@') || is_parent_bsuid(id) {
            let known = if id.starts_with('@') {
                self.by_username(id)
            } else {
                self.by_recipient(id)
            };
            let user_id = known
                .map(|c| c.user_id.clone())
                .ok_or_else(|| SimError::UnknownCustomer(id.to_string()))?;
            self.resolve(&Sender::user_id(user_id))
        } else if is_bsuid(id) {
            self.resolve(&Sender::user_id(id))
        } else {
            let digits = normalize_phone(id).ok_or_else(|| {
                SimError::Invalid(
                    "customer must be a phone (7-15 digits), a BSUID or an @username".into(),
                )
            })?;
            self.by_phone_mut(&digits)
        };
        found.map_err(SimError::Invalid)
    }

    /// The known customer `sender` names (by BSUID, phone or username, in that order).
    pub(crate) fn find(&self, sender: &Sender) -> Option<&Customer> {
        let by_user_id = sender
            .user_id
            .as_deref()
            .and_then(|id| self.by_recipient(id));
        let by_phone = || {
            let digits = normalize_phone(sender.phone.as_deref()?)?;
            self.by_id.get(self.by_phone.get(&digits)?)
        };
        let by_username = || self.by_username(sender.username.as_deref()?);
        by_user_id.or_else(by_phone).or_else(by_username)
    }

    /// The customer with `username` (any case, `@` optional).
    pub(crate) fn by_username(&self, username: &str) -> Option<&Customer> {
        let id = self.by_username.get(&normalize_username(username))?;
        self.by_id.get(id)
    }

    /// The customer a send's `recipient` (BSUID or parent BSUID) names.
    pub(crate) fn by_recipient(&self, recipient: &str) -> Option<&Customer> {
        let id = if is_parent_bsuid(recipient) {
            self.by_parent.get(recipient)?
        } else {
            recipient
        };
        self.by_id.get(id)
    }

    /// The BSUID phone `digits` has or would get.
    pub(crate) fn bsuid_of_phone(&self, digits: &str) -> Option<String> {
        self.by_phone
            .get(digits)
            .cloned()
            .or_else(|| bsuid_for_phone(digits))
    }

    /// The customer with phone `digits`, created when new.
    pub(crate) fn by_phone_mut(&mut self, digits: &str) -> Result<&mut Customer, String> {
        self.resolve(&Sender::phone(digits))
    }

    /// Finds or creates the customer `sender` describes, links a newly shown phone or
    /// username to them, and updates the profile name when given.
    pub(crate) fn resolve(&mut self, sender: &Sender) -> Result<&mut Customer, String> {
        let w = check(sender)?;
        let known: Vec<&String> = [
            w.user_id.as_ref().filter(|id| self.by_id.contains_key(*id)),
            w.phone.as_ref().and_then(|p| self.by_phone.get(p)),
            w.username.as_ref().and_then(|u| self.by_username.get(u)),
        ]
        .into_iter()
        .flatten()
        .collect();
        let new_user_id = w
            .user_id
            .as_ref()
            .is_some_and(|id| !self.by_id.contains_key(id));
        if known.windows(2).any(|pair| pair[0] != pair[1]) || (new_user_id && !known.is_empty()) {
            return Err(
                "that phone, username and user_id belong to different customers".to_string(),
            );
        }
        let id = match known.first() {
            Some(id) => (*id).clone(),
            None => {
                let id = match (&w.user_id, &w.phone, &w.username) {
                    (Some(id), _, _) => id.clone(),
                    (None, Some(p), _) => bsuid_for_phone(p).unwrap_or_default(),
                    (None, None, Some(u)) => {
                        bsuid_for_username(u, sender.country.as_deref().unwrap_or("US"))
                    }
                    (None, None, None) => return Err("no identity".into()),
                };
                self.create(&id)?;
                id
            }
        };
        let parent = self
            .by_id
            .get(&id)
            .map(|c| c.parent_user_id.clone())
            .unwrap_or_default();
        if let Some(p) = &w.phone {
            self.by_phone.insert(p.clone(), id.clone());
        }
        if let Some(u) = &w.username {
            self.by_username.insert(u.clone(), id.clone());
        }
        self.by_parent.insert(parent, id.clone());
        let c = self
            .by_id
            .get_mut(&id)
            .ok_or_else(|| "customer vanished".to_string())?;
        if w.phone.is_some() {
            c.phone = w.phone;
        }
        if w.username.is_some() {
            c.username = w.username;
        }
        if let Some(name) = sender.profile_name.as_deref().filter(|n| !n.is_empty()) {
            c.profile_name = name.to_string();
        }
        Ok(c)
    }

    fn create(&mut self, id: &str) -> Result<(), String> {
        if self.by_id.contains_key(id) {
            return Err(format!("customer {id} already exists"));
        }
        let tail = &id[id.len().saturating_sub(4)..];
        self.by_id.insert(
            id.to_string(),
            Customer {
                user_id: id.to_string(),
                parent_user_id: parent_bsuid(id),
                phone: None,
                username: None,
                profile_name: format!("Customer {tail}"),
                last_inbound: HashMap::new(),
                reads: None,
            },
        );
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn username_customer_later_shows_phone() {
        let mut cs = Customers::default();
        let ana = cs
            .resolve(&Sender::username("@Ana").named("Ana"))
            .expect("ana")
            .user_id
            .clone();
        let both = cs
            .resolve(&Sender::phone("+52 1 55 1234 5678").with_username("ana"))
            .expect("both");
        assert_eq!(both.user_id, ana);
        assert_eq!(both.phone.as_deref(), Some("5215512345678"));
        assert_eq!(both.profile_name, "Ana");
        assert_eq!(cs.bsuid_of_phone("5215512345678"), Some(ana.clone()));
        let parent = cs.get(&ana).expect("get").parent_user_id.clone();
        assert_eq!(
            cs.by_recipient(&parent).map(|c| c.user_id.clone()),
            Some(ana)
        );
        cs.resolve(&Sender::phone("16505551234")).expect("bob");
        let clash = cs.resolve(&Sender::phone("16505551234").with_username("ana"));
        assert!(clash.is_err());
        let other_id = Sender::phone("16505551234").with_username("bob");
        let bob = cs
            .resolve(&other_id)
            .expect("bob gets a username")
            .user_id
            .clone();
        assert_eq!(
            cs.find(&Sender::username("@BOB"))
                .map(|c| c.user_id.clone()),
            Some(bob)
        );
        let mut wrong = Sender::phone("16505551234");
        wrong.user_id = Some("US.11111111111111111111".into());
        assert!(
            cs.resolve(&wrong).is_err(),
            "a new user_id for a known phone"
        );
        assert!(
            cs.resolve(&Sender::username("@zed").country("Mexico"))
                .is_err()
        );
        assert!(cs.resolve(&Sender::default()).is_err());
    }
}
