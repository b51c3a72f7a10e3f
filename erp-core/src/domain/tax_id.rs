//! Brazilian taxpayer ids: CPF (people) and CNPJ (companies), checked by their check digits.

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use super::Invalid;

/// A CPF or CNPJ, stored without punctuation. Since July 2026 the Receita Federal also issues
/// alphanumeric CNPJs (12 letters or digits, then two check digits); both forms are accepted.
///
/// ```
/// use erp_core::domain::TaxId;
/// let cpf = TaxId::parse("529.982.247-25").unwrap();
/// assert_eq!(cpf.as_str(), "52998224725");
/// assert_eq!(cpf.formatted(), "529.982.247-25");
/// assert!(TaxId::parse("529.982.247-26").is_err());
/// assert!(TaxId::parse("12.ABC.345/01DE-35").is_ok());
/// ```
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct TaxId {
    kind: TaxIdKind,
    value: String,
}

/// Which register a [`TaxId`] belongs to.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum TaxIdKind {
    /// Cadastro de Pessoas Físicas: 11 digits.
    Cpf,
    /// Cadastro Nacional da Pessoa Jurídica: 14 characters.
    Cnpj,
}

impl TaxId {
    /// Strips punctuation (`. - /` and spaces), then checks length, characters and check digits.
    pub fn parse(text: &str) -> Result<TaxId, Invalid> {
        let compact: String = text
            .trim()
            .chars()
            .filter(|c| !matches!(c, '.' | '-' | '/' | ' '))
            .map(|c| c.to_ascii_uppercase())
            .collect();
        if !compact.is_ascii() {
            return Err(Invalid::new(
                "must be a CPF (11 digits) or a CNPJ (14 characters)",
            ));
        }
        match compact.len() {
            11 if compact.chars().all(|c| c.is_ascii_digit()) => {
                check_cpf(&compact)?;
                Ok(TaxId {
                    kind: TaxIdKind::Cpf,
                    value: compact,
                })
            }
            14 => {
                check_cnpj(&compact)?;
                Ok(TaxId {
                    kind: TaxIdKind::Cnpj,
                    value: compact,
                })
            }
            _ => Err(Invalid::new(
                "must be a CPF (11 digits) or a CNPJ (14 characters)",
            )),
        }
    }

    /// CPF or CNPJ.
    pub fn kind(&self) -> TaxIdKind {
        self.kind
    }

    /// The id without punctuation, as stored.
    pub fn as_str(&self) -> &str {
        &self.value
    }

    /// The id with the usual punctuation: `000.000.000-00` or `00.000.000/0000-00`.
    pub fn formatted(&self) -> String {
        let v = &self.value;
        match self.kind {
            TaxIdKind::Cpf => format!("{}.{}.{}-{}", &v[0..3], &v[3..6], &v[6..9], &v[9..11]),
            TaxIdKind::Cnpj => format!(
                "{}.{}.{}/{}-{}",
                &v[0..2],
                &v[2..5],
                &v[5..8],
                &v[8..12],
                &v[12..14]
            ),
        }
    }
}

/// The mod-11 check digit shared by CPF and CNPJ.
fn check_digit(values: &[u32], weights: &[u32]) -> u32 {
    let sum: u32 = values.iter().zip(weights).map(|(v, w)| v * w).sum();
    match sum % 11 {
        0 | 1 => 0,
        rest => 11 - rest,
    }
}

fn all_same(values: &[u32]) -> bool {
    values.windows(2).all(|pair| pair[0] == pair[1])
}

fn check_cpf(digits: &str) -> Result<(), Invalid> {
    let values: Vec<u32> = digits.chars().filter_map(|c| c.to_digit(10)).collect();
    if all_same(&values) {
        return Err(Invalid::new("is not a valid CPF"));
    }
    let first = check_digit(&values[..9], &[10, 9, 8, 7, 6, 5, 4, 3, 2]);
    let second = check_digit(&values[..10], &[11, 10, 9, 8, 7, 6, 5, 4, 3, 2]);
    if values[9] != first || values[10] != second {
        return Err(Invalid::new(
            "is not a valid CPF (check digits do not match)",
        ));
    }
    Ok(())
}

fn check_cnpj(text: &str) -> Result<(), Invalid> {
    let (base, digits) = text.split_at(12);
    if !base
        .chars()
        .all(|c| c.is_ascii_digit() || c.is_ascii_uppercase())
        || !digits.chars().all(|c| c.is_ascii_digit())
    {
        return Err(Invalid::new(
            "is not a valid CNPJ (12 letters or digits, then 2 digits)",
        ));
    }
    // The Receita Federal's rule for both forms: each character counts as its ASCII code minus 48.
    let values: Vec<u32> = text.chars().map(|c| u32::from(c) - 48).collect();
    if all_same(&values) {
        return Err(Invalid::new("is not a valid CNPJ"));
    }
    const WEIGHTS: [u32; 13] = [6, 5, 4, 3, 2, 9, 8, 7, 6, 5, 4, 3, 2];
    let first = check_digit(&values[..12], &WEIGHTS[1..]);
    let second = check_digit(&values[..13], &WEIGHTS);
    if values[12] != first || values[13] != second {
        return Err(Invalid::new(
            "is not a valid CNPJ (check digits do not match)",
        ));
    }
    Ok(())
}

impl fmt::Display for TaxId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(&self.formatted())
    }
}

impl fmt::Debug for TaxId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "TaxId({:?} {})", self.kind, self.value)
    }
}

impl Serialize for TaxId {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.value)
    }
}

impl<'de> Deserialize<'de> for TaxId {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        TaxId::parse(&text).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn valid_cpf_with_or_without_punctuation() {
        assert_eq!(TaxId::parse("52998224725").unwrap().kind(), TaxIdKind::Cpf);
        assert_eq!(
            TaxId::parse(" 529.982.247-25 ").unwrap().as_str(),
            "52998224725"
        );
        assert_eq!(
            TaxId::parse("123.456.789-09").unwrap().formatted(),
            "123.456.789-09"
        );
    }

    #[test]
    fn cpf_with_wrong_check_digit_is_rejected() {
        assert!(TaxId::parse("529.982.247-24").is_err());
        assert!(TaxId::parse("123.456.789-00").is_err());
    }

    #[test]
    fn repeated_digit_ids_are_rejected_although_their_digits_check() {
        assert!(TaxId::parse("111.111.111-11").is_err());
        assert!(TaxId::parse("00.000.000/0000-00").is_err());
    }

    #[test]
    fn valid_numeric_and_alphanumeric_cnpj() {
        let numeric = TaxId::parse("11.222.333/0001-81").unwrap();
        assert_eq!(numeric.kind(), TaxIdKind::Cnpj);
        assert_eq!(numeric.formatted(), "11.222.333/0001-81");
        let alpha = TaxId::parse("12.abc.345/01de-35").unwrap();
        assert_eq!(alpha.as_str(), "12ABC34501DE35");
    }

    #[test]
    fn cnpj_with_wrong_check_digits_or_letters_in_them_is_rejected() {
        assert!(TaxId::parse("11.222.333/0001-82").is_err());
        assert!(TaxId::parse("12.ABC.345/01DE-36").is_err());
        assert!(TaxId::parse("12ABC34501DEA5").is_err());
    }

    #[test]
    fn other_lengths_and_symbols_are_rejected() {
        for bad in [
            "",
            "123",
            "5299822472",
            "529982247251",
            "52998224725!",
            "ÀÀÀÀÀÀÀÀÀÀÀ",
            "ÀÀÀÀÀÀÀ",
        ] {
            assert!(TaxId::parse(bad).is_err(), "{bad:?}");
        }
    }
}
