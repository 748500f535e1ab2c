//! Synthetic but realistic data: Spanish/Portuguese names with accents, Mexican numbers.

use rand::Rng;
use rand::rngs::StdRng;

const FIRST: &[&str] = &[
    "María",
    "José",
    "Juan",
    "Ana",
    "Luis",
    "Carmen",
    "Jorge",
    "Lucía",
    "Pedro",
    "Sofía",
    "Miguel",
    "Valentina",
    "Andrés",
    "Camila",
    "Raúl",
    "Isabel",
    "Fernando",
    "Gabriela",
    "Ricardo",
    "Renata",
    "Tomás",
    "Julián",
    "Inés",
    "Óscar",
];
const LAST: &[&str] = &[
    "García",
    "Martínez",
    "López",
    "Hernández",
    "González",
    "Pérez",
    "Rodríguez",
    "Sánchez",
    "Ramírez",
    "Cruz",
    "Flores",
    "Gómez",
    "Morales",
    "Vázquez",
    "Reyes",
    "Jiménez",
    "Díaz",
    "Torres",
    "Gutiérrez",
    "Ruiz",
    "Mendoza",
    "Aguilar",
    "Ortiz",
    "Castillo",
    "Núñez",
    "Romero",
    "Álvarez",
    "Chávez",
    "Ríos",
    "Domínguez",
];

/// Contact `i`'s display name (deterministic, with a distinguishing number).
pub fn name(i: usize) -> String {
    format!(
        "{} {} {}",
        FIRST[i % FIRST.len()],
        LAST[(i / FIRST.len()) % LAST.len()],
        i
    )
}

/// Contact `i`'s phone: a Mexican mobile in Meta's 521 form.
pub fn phone(org: usize, i: usize) -> String {
    format!("521{}{:08}", 55 + org, i)
}

/// A short message body.
pub fn body(rng: &mut StdRng) -> String {
    const WORDS: &[&str] = &[
        "hola",
        "necesito",
        "ayuda",
        "con",
        "mi",
        "pedido",
        "gracias",
        "cuándo",
        "llega",
        "envío",
        "precio",
        "¿tienen?",
    ];
    let n = rng.gen_range(2..9);
    (0..n)
        .map(|_| WORDS[rng.gen_range(0..WORDS.len())])
        .collect::<Vec<_>>()
        .join(" ")
}
