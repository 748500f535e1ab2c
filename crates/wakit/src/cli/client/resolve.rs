//! Turning what a person typed into a phone: contact names through the contact search,
//! accounts by index, phone or the phone's last digits.

use anyhow::bail;
use wakit_api::{AccountRef, ContactBrief, ContactsQuery};

use super::style::{as_phone, contact_label, plus};
use super::{Ctx, call, digits};

/// How many name matches are fetched (and listed when ambiguous).
const NAME_MATCHES: u32 = 20;

/// A contact's phone: the argument itself when it looks like a number (≥ 7 digits once
/// `+`, spaces and dashes are removed) or is a BSUID, else the only contact whose name
/// or username matches it.
/// Several matches are listed and fail (exit 1), unless exactly one name is an exact match.
pub async fn contact_phone(ctx: &Ctx, arg: &str) -> anyhow::Result<String> {
    if let Some(phone) = as_phone(arg) {
        return Ok(phone);
    }
    let query = ContactsQuery {
        name: Some(arg.trim().to_string()),
        number: None,
        limit: Some(NAME_MATCHES),
    };
    let found = call(|| ctx.client.contacts(&query)).await?.value.contacts;
    pick_contact(arg, &found).map(|c| c.phone.clone())
}

fn pick_contact<'a>(arg: &str, found: &'a [ContactBrief]) -> anyhow::Result<&'a ContactBrief> {
    match found {
        [] => bail!("No contact matches \"{arg}\". Search with: wakit contacts <query>"),
        [one] => Ok(one),
        several => {
            let wanted = arg.trim().to_lowercase();
            let exact: Vec<&ContactBrief> = several
                .iter()
                .filter(|c| c.name.as_deref().map(str::to_lowercase) == Some(wanted.clone()))
                .collect();
            if let [one] = exact[..] {
                return Ok(one);
            }
            let width = several
                .iter()
                .map(|c| contact_label(c.name.as_deref(), &c.phone).chars().count())
                .max()
                .unwrap_or(0);
            let list: Vec<String> = several
                .iter()
                .map(|c| {
                    let label = contact_label(c.name.as_deref(), &c.phone);
                    let pad = width - label.chars().count();
                    format!("  {label}{}  {}", " ".repeat(pad), plus(&c.phone))
                })
                .collect();
            bail!(
                "{} contacts match \"{arg}\":\n{}\nUse the phone number instead.",
                several.len(),
                list.join("\n")
            )
        }
    }
}

/// The account `arg` names: a 1-based index, a phone, or the unique account whose phone
/// ends with the given digits.
pub fn account<'a>(accounts: &'a [AccountRef], arg: &str) -> anyhow::Result<&'a AccountRef> {
    let wanted = digits(arg.trim());
    if let Ok(index) = wanted.parse::<usize>()
        && wanted.len() < 7
        && (1..=accounts.len()).contains(&index)
    {
        return Ok(&accounts[index - 1]);
    }
    if let Some(exact) = accounts.iter().find(|a| a.phone == wanted) {
        return Ok(exact);
    }
    let ends: Vec<&AccountRef> = if wanted.is_empty() {
        Vec::new()
    } else {
        accounts
            .iter()
            .filter(|a| a.phone.ends_with(&wanted))
            .collect()
    };
    match ends[..] {
        [one] => Ok(one),
        [] => bail!(
            "No account matches \"{arg}\". Accounts:\n{}",
            numbered(accounts)
        ),
        _ => bail!(
            "Several accounts end with \"{wanted}\":\n{}\nUse the index or the whole phone.",
            numbered(accounts)
        ),
    }
}

/// `  1  Mirlo  +5215588392274`, one line per account.
pub fn numbered(accounts: &[AccountRef]) -> String {
    accounts
        .iter()
        .enumerate()
        .map(|(i, a)| format!("  {}  {}  {}", i + 1, a.name, plus(&a.phone)))
        .collect::<Vec<_>>()
        .join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn acct(phone: &str, name: &str) -> AccountRef {
        AccountRef {
            phone: phone.into(),
            name: name.into(),
        }
    }

    fn contact(name: &str, phone: &str) -> ContactBrief {
        ContactBrief {
            name: Some(name.into()),
            phone: phone.into(),
            user_id: None,
            username: None,
        }
    }

    #[test]
    fn accounts_by_index_phone_and_suffix() {
        let list = [
            acct("5215588392274", "Mirlo"),
            acct("15550405258", "Mirlo US"),
        ];
        assert_eq!(account(&list, "2").expect("index").phone, "15550405258");
        assert_eq!(
            account(&list, "+52 1 55 8839 2274").expect("phone").name,
            "Mirlo"
        );
        assert_eq!(account(&list, "5258").expect("suffix").name, "Mirlo US");
        assert!(account(&list, "3").is_err(), "no third account");
        assert!(account(&list, "9999").is_err());
        let twins = [acct("5215500001234", "A"), acct("5215500011234", "B")];
        let err = account(&twins, "1234").expect_err("ambiguous").to_string();
        assert!(err.contains("Several accounts"), "{err}");
    }

    #[test]
    fn names_pick_one_or_list_all() {
        let found = [
            contact("Maria Garcia", "5215551234567"),
            contact("Emily Carter", "15550405258"),
        ];
        let err = pick_contact("ar", &found)
            .expect_err("ambiguous")
            .to_string();
        assert!(
            err.contains("Maria Garcia") && err.contains("+15550405258"),
            "{err}"
        );
        assert_eq!(
            pick_contact("emily carter", &found).expect("exact").phone,
            "15550405258"
        );
        assert!(pick_contact("zz", &[]).is_err());
        assert_eq!(
            pick_contact("mar", &found[..1]).expect("one").phone,
            "5215551234567"
        );
    }
}
