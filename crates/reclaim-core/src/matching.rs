//! Claim matching: a credential's claims against THIS directory user's names, per profile claim binding.
//!
//! # Rules
//!
//! Every binding of the profile must match; the first failing binding (in profile order) is the
//! one reported.
//!
//! **Binding resolution.** `sourceAttribute` `"First name"` → the user's `givenName`,
//! `"Last name"` → `surname` (labels compared ASCII-case-insensitively, trimmed).
//! `verifiedIdClaim` `vc.credentialSubject.X` → the credential claim `X` (one level, no dots).
//! Anything else, a level of `unknownFutureValue`, or a profile with no bindings at all →
//! [`MatchOutcome::UnsupportedBinding`] (fail closed; [`resolve_binding`] gives the typed
//! [`CoreError::UnsupportedBinding`]). A missing claim → [`MatchOutcome::Mismatch`].
//!
//! **Blank.** A directory value that is missing, or has no letter or digit at all (empty,
//! spaces, only punctuation), is blank and NEVER matches, in either mode and in either field:
//! [`MatchOutcome::BlankDirectoryName`]. This is checked for every binding before any comparison.
//!
//! **`exact`.** Both values: Unicode NFC; case fold (upper- then lower-case, so `ß` = `SS`,
//! which Unicode lower-casing alone would miss); NFC again; trim; collapse runs of whitespace to
//! one space. Then equality. Nothing else: no diacritic, punctuation or word folding.
//!
//! **`relaxed`.** Start from the `exact` form, then fold:
//! * diacritics: NFD and drop combining marks (`ë`→`e`, `ę`→`e`, `á`→`a`);
//! * letters that do not decompose: `ł`/`ŀ`→`l`, `ø`→`o`, `ß`→`ss`, `æ`→`ae`, `đ`/`ð`→`d`,
//!   `ı`→`i`, `œ`→`oe`, `þ`→`th`, `ħ`→`h`, `ŧ`→`t`, `ŋ`→`n`, `ĳ`→`ij`, `ĸ`→`k`;
//! * typographic apostrophes `’ ‘ ʼ` and the backtick become `'`.
//!
//! **Spellings.** A provider reading the machine-readable zone gives `MUELLER` for `Müller` and
//! `SOEREN` for `Søren` (ICAO 9303 Part 3 transliteration). So every value is also read in the
//! ICAO spelling ([`Spelling::Icao`]: `ä`/`æ`→`ae`, `ö`/`ø`/`œ`→`oe`, `ü`→`ue`, `å`→`aa`,
//! `ß`→`ss`, `þ`→`th`, `ĳ`→`ij`, every other letter with its diacritics dropped) and with the
//! table's alternatives `ñ`→`nxx`, `ü`→`uxx` ([`Spelling::IcaoXx`]). Both sides are always
//! spelled the same way, and a match under any spelling is a match: `Müller` = `MUELLER` =
//! `MULLER`, `Søren` = `SOEREN` = `SOREN`. A plain `ue` is never read back as `ü`: directory
//! `Muller` against `MUELLER` does not match (`Manuel`, `Samuel` are not umlauts). `exact`
//! folds no spelling (`Müller` ≠ `MUELLER`).
//!
//! Then cut the value into **words**: a word is a run of letters and digits; every other
//! character (space, hyphen, dot, comma, the MRZ filler `<`, …) separates words. Apostrophes are
//! *soft*: the value is read twice, once with apostrophes deleted (`O'Brien` → `obrien`, the
//! ICAO 9303 machine-readable-zone convention) and once with apostrophes as separators
//! (`O'Brien` → `o brien`). Both sides are always read the same way; a match under either
//! reading is a match. So `O'Brien` = `O’Brien` = `OBrien` = `O Brien`.
//!
//! *Within a field*: the directory value matches when every one of its words appears among the
//! credential value's words for that field, as a multiset in any order. Extra words on the
//! credential pass (a middle name, a second surname); a directory word missing from the
//! credential fails. So directory `Maria` vs ID `Maria Clara` passes, the reverse fails.
//!
//! *Across fields* (only when the profile binds exactly one `First name` and one `Last name`,
//! both `relaxed`): documents split compound names differently (`Maria da Silva` / `Santos` vs
//! `Maria` / `da Silva Santos`). If a field fails on its own, the pair still matches when, under
//! one reading:
//! 1. the directory's **first** given-name word is among the credential's given-name words, and
//! 2. the directory's **last** surname word is among the credential's surname words, and
//! 3. every other directory word (given and surname, as a multiset) is among the credential's
//!    remaining words of either field.
//!
//! The anchors mean a single-word first name or surname can never move to the other field, and
//! swapped names (`Lima` / `Ana` for `Ana` / `Lima`) never match; only the inner words of
//! compound names cross the boundary. Every directory word must still be on the credential.
//!
//! *The whole name in the first-name claim* (a provider that writes the full name into one
//! claim; same two relaxed bindings): when the credential's last-name claim is missing or has no
//! words, the pair matches when every directory word (given and surname, as a multiset) is among
//! the first-name claim's words, in any order. The whole name in the *last-name* claim with an
//! empty first-name claim does not match (the directory's duplicate-name search looks for given
//! names among the credential's given-name words only, so uniqueness could not be shown).
//!
//! | directory (given / surname) | credential (given / surname) | exact | relaxed |
//! |---|---|---|---|
//! | `Ana` / `Lima` | `ANA` / ` lima ` | ✓ | ✓ |
//! | `Maria` / `Souza` | `Maria Clara` / `Souza` | ✗ | ✓ |
//! | `Maria Clara` / `Souza` | `Maria` / `Souza` | ✗ | ✗ |
//! | `Peter` / `Novak` | `Peter Paul` / `Novak` | ✗ | ✓ |
//! | `Zoë` / `Wiśniewska` | `ZOE` / `WISNIEWSKA` | ✗ | ✓ |
//! | `Siobhán` / `O'Brien` | `Siobhán` / `O’Brien` | ✗ | ✓ |
//! | `Siobhán` / `O'Brien` | `SIOBHAN` / `OBRIEN` | ✗ | ✓ |
//! | `Ewa` / `Kowalczyk-Łęcka` | `Ewa` / `Kowalczyk Lecka` | ✗ | ✓ |
//! | `Maria` / `da Silva Santos` | `Maria da Silva` / `Santos` | ✗ | ✓ (across fields) |
//! | `Maria` / `Garcia` | `Maria Elena` / `Garcia Lopez` | ✗ | ✓ |
//! | `Maria` / `Garcia` | `Maria Elena Garcia Lopez` / (empty) | ✗ | ✓ (whole name) |
//! | `Jürgen` / `Müller` | `JUERGEN` / `MUELLER` | ✗ | ✓ (ICAO) |
//! | `Søren` / `Ødegård` | `SOEREN` / `OEDEGAARD` | ✗ | ✓ (ICAO) |
//! | `Jürgen` / `Muller` | `Jurgen` / `MUELLER` | ✗ | ✗ |
//! | `Ana` / `Lima` | `Lima` / `Ana` | ✗ | ✗ |
//! | `Ana` / `Lima` | `Anna` / `Lopes` | ✗ | ✗ |
//! | `Jonathan` / `Smith` | `John` / `Smith` | ✗ | ✗ |
//! | (blank) / anything | anything | ✗ | ✗ |
//!
//! Every exact match is a relaxed match: relaxed works on the exact form, and equal values have
//! equal words.

use unicode_normalization::UnicodeNormalization;
use unicode_normalization::char::is_combining_mark;

use crate::CoreError;
use crate::model::{ClaimBinding, DirectoryUser, MatchConfidenceLevel};
use crate::secret::{Claims, PersonName};

/// Which directory attribute a binding reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum DirectoryAttribute {
    /// `"First name"` → `givenName`.
    GivenName,
    /// `"Last name"` → `surname`.
    Surname,
}

/// The result of matching a credential against a user.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MatchOutcome {
    /// Every binding matched.
    Matched,
    /// A binding did not match (or its claim was missing).
    Mismatch {
        /// Which directory field failed.
        field: DirectoryAttribute,
    },
    /// A directory name is blank: never matches.
    BlankDirectoryName,
    /// A binding this build cannot evaluate (fail closed).
    UnsupportedBinding,
}

impl DirectoryAttribute {
    /// Maps a `sourceAttribute` label.
    pub fn from_label(label: &str) -> Option<Self> {
        let l = label.trim();
        if l.eq_ignore_ascii_case("First name") {
            Some(Self::GivenName)
        } else if l.eq_ignore_ascii_case("Last name") {
            Some(Self::Surname)
        } else {
            None
        }
    }

    /// The user's value for this attribute.
    pub fn value_of<'a>(&self, user: &'a DirectoryUser) -> Option<&'a PersonName> {
        match self {
            Self::GivenName => user.given_name.as_ref(),
            Self::Surname => user.surname.as_ref(),
        }
    }
}

/// A binding this build can evaluate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ResolvedBinding<'a> {
    /// The directory field.
    pub field: DirectoryAttribute,
    /// The claim name inside `credentialSubject`.
    pub claim: &'a str,
    /// `exact` or `relaxed`.
    pub level: MatchConfidenceLevel,
}

/// Resolves a binding, or says precisely why it cannot be evaluated.
pub fn resolve_binding(b: &ClaimBinding) -> Result<ResolvedBinding<'_>, CoreError> {
    let unsupported = || CoreError::UnsupportedBinding {
        source_attribute: b.source_attribute.clone(),
        verified_id_claim: b.verified_id_claim.clone(),
    };
    let field = DirectoryAttribute::from_label(&b.source_attribute).ok_or_else(unsupported)?;
    let claim = claim_name(&b.verified_id_claim).ok_or_else(unsupported)?;
    if b.match_confidence_level == MatchConfidenceLevel::UnknownFutureValue {
        return Err(unsupported());
    }
    Ok(ResolvedBinding { field, claim, level: b.match_confidence_level })
}

/// Maps `vc.credentialSubject.X` to `X`.
pub fn claim_name(path: &str) -> Option<&str> {
    path.strip_prefix("vc.credentialSubject.").filter(|x| !x.is_empty() && !x.contains('.'))
}

/// The `exact` normal form.
pub fn exact_form(s: &str) -> String {
    let nfc: String = s.nfc().collect();
    let folded = nfc.to_uppercase().to_lowercase();
    let nfc2: String = folded.nfc().collect();
    nfc2.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// NFC, trimmed, whitespace collapsed, case kept: the form used in a directory name search.
pub fn tidy(s: &str) -> String {
    let nfc: String = s.nfc().collect();
    nfc.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// How apostrophes are read (see the module docs).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reading {
    /// Apostrophes deleted: `O'Brien` → `obrien`.
    Join,
    /// Apostrophes separate words: `O'Brien` → `o brien`.
    Split,
}

fn is_apostrophe(c: char) -> bool {
    matches!(c, '\'' | '\u{2019}' | '\u{2018}' | '\u{02BC}' | '`')
}

/// How letters with diacritics are spelled (see the module docs): both sides of a comparison
/// are always spelled the same way, and a match under any spelling is a match.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Spelling {
    /// Diacritics dropped: `Müller` → `muller`, `Søren` → `soren`.
    Plain,
    /// ICAO 9303 Part 3 transliteration, as a machine-readable zone spells a name: `ä`/`æ` →
    /// `ae`, `ö`/`ø`/`œ` → `oe`, `ü` → `ue`, `å` → `aa`, `ß` → `ss`, `þ` → `th`, `ĳ` → `ij`; every
    /// other letter as in [`Spelling::Plain`] (`Müller` → `mueller`, `Søren` → `soeren`).
    Icao,
    /// The ICAO table's alternatives for `ñ` → `nxx` and `ü` → `uxx` (`Muñoz` → `munxxoz`).
    IcaoXx,
}

impl Spelling {
    /// Every spelling.
    pub const ALL: [Spelling; 3] = [Spelling::Plain, Spelling::Icao, Spelling::IcaoXx];
}

/// The relaxed fold (exact form, diacritics dropped, the fold table, apostrophes unified).
pub fn relaxed_fold(s: &str) -> String {
    relaxed_fold_as(s, Spelling::Plain)
}

/// The relaxed fold under a spelling.
pub fn relaxed_fold_as(s: &str, spelling: Spelling) -> String {
    let exact = exact_form(s);
    let mut out = String::with_capacity(exact.len());
    for c in exact.chars() {
        // The exact form is lower-case NFC: `ä` is one character here.
        let icao = match (spelling, c) {
            (Spelling::Plain, _) => None,
            (_, 'ä' | 'æ') => Some("ae"),
            (_, 'ö' | 'ø' | 'œ') => Some("oe"),
            (Spelling::Icao, 'ü') => Some("ue"),
            (Spelling::IcaoXx, 'ü') => Some("uxx"),
            (Spelling::IcaoXx, 'ñ') => Some("nxx"),
            (_, 'å') => Some("aa"),
            _ => None,
        };
        if let Some(t) = icao {
            out.push_str(t);
            continue;
        }
        for d in c.nfd() {
            if is_combining_mark(d) {
                continue;
            }
            match d {
                'ł' | 'Ł' | 'ŀ' => out.push('l'),
                'ø' | 'Ø' => out.push('o'),
                'ß' | 'ẞ' => out.push_str("ss"),
                'æ' | 'Æ' => out.push_str("ae"),
                'đ' | 'Đ' | 'ð' => out.push('d'),
                'ı' => out.push('i'),
                'œ' | 'Œ' => out.push_str("oe"),
                'þ' => out.push_str("th"),
                'ħ' => out.push('h'),
                'ŧ' => out.push('t'),
                'ŋ' => out.push('n'),
                'ĳ' => out.push_str("ij"),
                'ĸ' => out.push('k'),
                d if is_apostrophe(d) => out.push('\''),
                d => out.push(d),
            }
        }
    }
    out
}

/// The ICAO 9303 machine-readable-zone form of a name, as a provider reading the MRZ gives it:
/// upper case, the letters transliterated per [`Spelling::Icao`], apostrophes dropped, every
/// other non-letter the filler `<` (`Søren O'Brien-Müller` → `SOEREN<OBRIEN<MUELLER`).
pub fn icao_mrz_form(s: &str) -> String {
    relaxed_fold_as(s, Spelling::Icao)
        .chars()
        .filter(|c| !is_apostrophe(*c))
        .map(|c| if c.is_alphanumeric() { c } else { '<' })
        .collect::<String>()
        .to_uppercase()
}

/// The `relaxed` words of a value under a reading (plain spelling).
pub fn relaxed_words(s: &str, reading: Reading) -> Vec<String> {
    relaxed_words_as(s, reading, Spelling::Plain)
}

/// The `relaxed` words of a value under a reading and a spelling.
pub fn relaxed_words_as(s: &str, reading: Reading, spelling: Spelling) -> Vec<String> {
    split_words(&relaxed_fold_as(s, spelling), reading)
}

/// Every (apostrophe reading, spelling) pair a relaxed comparison tries.
fn readings() -> impl Iterator<Item = (Reading, Spelling)> {
    [Reading::Join, Reading::Split]
        .into_iter()
        .flat_map(|r| Spelling::ALL.into_iter().map(move |sp| (r, sp)))
}

/// Cuts an already folded value into words (runs of letters and digits; apostrophes per the
/// reading).
fn split_words(folded: &str, reading: Reading) -> Vec<String> {
    let mut words = Vec::new();
    let mut word = String::new();
    for c in folded.chars() {
        if c.is_alphanumeric() {
            word.push(c);
        } else if is_apostrophe(c) && reading == Reading::Join {
            // deleted: the pieces on either side stay one word
        } else if !word.is_empty() {
            words.push(std::mem::take(&mut word));
        }
    }
    if !word.is_empty() {
        words.push(word);
    }
    words
}

/// The words to search the directory with for one name value, so that every user whose name
/// the matching rules could pair with it is found: the value's words under both apostrophe
/// readings, in the `relaxed` fold (`zoe`) and in the `exact` form that keeps diacritics (`zoë`),
/// because the directory search's own diacritic handling is not documented. Lower-case,
/// deduplicated, in first-seen order.
pub fn search_words(s: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for reading in [Reading::Join, Reading::Split] {
        let words =
            relaxed_words(s, reading).into_iter().chain(split_words(&exact_form(s), reading));
        for w in words {
            if !out.contains(&w) {
                out.push(w);
            }
        }
    }
    // The transliterated spellings too (`Müller` → `mueller`), so a namesake spelled as the
    // machine-readable zone spells the name is found; and the letters an ICAO digraph may stand
    // for (`mueller` → `müller`) when the value is written in ASCII letters only (a value with
    // national letters is no transliteration), so a namesake spelled with them is found when the
    // credential and the account both use the digraph. Extra words only widen the search.
    let ascii = s.chars().all(|c| !c.is_alphabetic() || c.is_ascii());
    for (reading, spelling) in readings() {
        for w in relaxed_words_as(s, reading, spelling) {
            let variants = if ascii { icao_letter_variants(&w) } else { Vec::new() };
            for v in std::iter::once(w.clone()).chain(variants) {
                if !out.contains(&v) {
                    out.push(v);
                }
            }
        }
    }
    out
}

/// A folded word with ICAO digraphs read back as the letters they may spell: one variant per
/// digraph (every occurrence replaced), and one with all of them (`mueller` → `müller`).
fn icao_letter_variants(word: &str) -> Vec<String> {
    const DIGRAPHS: [(&str, &str); 6] =
        [("ae", "ä"), ("oe", "ö"), ("oe", "ø"), ("ue", "ü"), ("aa", "å"), ("ss", "ß")];
    let mut out: Vec<String> = Vec::new();
    let mut all = word.to_string();
    for (digraph, letter) in DIGRAPHS {
        if word.contains(digraph) {
            out.push(word.replace(digraph, letter));
            all = all.replace(digraph, letter);
        }
    }
    if all != word && !out.contains(&all) {
        out.push(all);
    }
    out
}

/// Is a directory value blank (never matches)? Missing, or no letter or digit at all.
pub fn is_blank(directory: Option<&str>) -> bool {
    directory.is_none_or(|d| relaxed_words(d, Reading::Split).is_empty())
}

/// Removes one occurrence of `w` from `pool`; false when absent.
fn take(pool: &mut Vec<String>, w: &str) -> bool {
    match pool.iter().position(|c| c == w) {
        Some(i) => {
            pool.swap_remove(i);
            true
        }
        None => false,
    }
}

/// Every word of `needles` is in `pool` (multiset).
fn all_within(needles: &[String], mut pool: Vec<String>) -> bool {
    needles.iter().all(|w| take(&mut pool, w))
}

/// The outcome of one value comparison.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MatchOutcomeKind {
    /// Values match at the level.
    Equal,
    /// Values differ.
    Different,
    /// Directory value blank.
    Blank,
    /// Level unknown.
    Unsupported,
}

/// Compares one directory value with one credential value at a level (one field, no
/// cross-field rule).
pub fn compare(
    level: MatchConfidenceLevel,
    directory: Option<&str>,
    credential: &str,
) -> MatchOutcomeKind {
    let Some(dir) = directory.filter(|d| !is_blank(Some(d))) else {
        return MatchOutcomeKind::Blank;
    };
    let ok = match level {
        MatchConfidenceLevel::Exact => exact_form(dir) == exact_form(credential),
        MatchConfidenceLevel::Relaxed => readings().any(|(r, sp)| {
            all_within(&relaxed_words_as(dir, r, sp), relaxed_words_as(credential, r, sp))
        }),
        MatchConfidenceLevel::UnknownFutureValue => return MatchOutcomeKind::Unsupported,
    };
    if ok { MatchOutcomeKind::Equal } else { MatchOutcomeKind::Different }
}

/// The cross-field rule for a (given, surname) pair; see the module docs.
pub fn cross_field_match(
    dir_given: &str,
    dir_surname: &str,
    cred_given: &str,
    cred_surname: &str,
) -> bool {
    if is_blank(Some(dir_given)) || is_blank(Some(dir_surname)) {
        return false;
    }
    readings().any(|(r, sp)| {
        let given = relaxed_words_as(dir_given, r, sp);
        let surname = relaxed_words_as(dir_surname, r, sp);
        let mut cg = relaxed_words_as(cred_given, r, sp);
        let mut cs = relaxed_words_as(cred_surname, r, sp);
        if cs.is_empty() {
            // The whole name in the first-name claim, the last-name claim empty or missing: every
            // directory word must be among its words, in any order (the order of a name written
            // in one field is not known).
            let all: Vec<String> = given.iter().chain(&surname).cloned().collect();
            return all_within(&all, cg);
        }
        let (Some((first, inner_given)), Some((last, inner_surname))) =
            (given.split_first(), surname.split_last())
        else {
            return false;
        };
        if !take(&mut cg, first) || !take(&mut cs, last) {
            return false;
        }
        let rest: Vec<String> = inner_given.iter().chain(inner_surname).cloned().collect();
        cg.append(&mut cs);
        all_within(&rest, cg)
    })
}

/// Matches a credential's claims against a user per the profile's bindings.
pub fn match_user(
    bindings: &[ClaimBinding],
    user: &DirectoryUser,
    claims: &Claims,
) -> MatchOutcome {
    if bindings.is_empty() {
        return MatchOutcome::UnsupportedBinding;
    }
    let Ok(resolved) = bindings.iter().map(resolve_binding).collect::<Result<Vec<_>, _>>() else {
        return MatchOutcome::UnsupportedBinding;
    };
    // Blank directory names never match: checked for every binding before anything else.
    if resolved.iter().any(|b| is_blank(b.field.value_of(user).map(PersonName::expose))) {
        return MatchOutcome::BlankDirectoryName;
    }
    let mut first_failure = None;
    for b in &resolved {
        let dir = b.field.value_of(user).map(PersonName::expose);
        let equal = claims
            .get(b.claim)
            .is_some_and(|value| compare(b.level, dir, value) == MatchOutcomeKind::Equal);
        if !equal {
            first_failure = Some(b.field);
            break;
        }
    }
    let Some(field) = first_failure else {
        return MatchOutcome::Matched;
    };
    if cross_field_applies(&resolved, user, claims) {
        MatchOutcome::Matched
    } else {
        MatchOutcome::Mismatch { field }
    }
}

/// Exactly one relaxed `First name` and one relaxed `Last name` binding, and the pair passes
/// the cross-field rule.
fn cross_field_applies(
    resolved: &[ResolvedBinding<'_>],
    user: &DirectoryUser,
    claims: &Claims,
) -> bool {
    let [a, b] = resolved else {
        return false;
    };
    let (given, surname) = match (a.field, b.field) {
        (DirectoryAttribute::GivenName, DirectoryAttribute::Surname) => (a, b),
        (DirectoryAttribute::Surname, DirectoryAttribute::GivenName) => (b, a),
        _ => return false,
    };
    if given.level != MatchConfidenceLevel::Relaxed
        || surname.level != MatchConfidenceLevel::Relaxed
    {
        return false;
    }
    // A missing last-name claim reads as empty (the whole name may be in the first-name claim).
    let (Some(dg), Some(ds), Some(cg)) =
        (user.given_name.as_ref(), user.surname.as_ref(), claims.get(given.claim))
    else {
        return false;
    };
    let cs = claims.get(surname.claim).unwrap_or("");
    cross_field_match(dg.expose(), ds.expose(), cg, cs)
}

/// The credential's value for the binding of an attribute (for the duplicate-name search).
pub fn credential_value<'a>(
    bindings: &[ClaimBinding],
    attribute: DirectoryAttribute,
    claims: &'a Claims,
) -> Option<&'a str> {
    bindings
        .iter()
        .find(|b| DirectoryAttribute::from_label(&b.source_attribute) == Some(attribute))
        .and_then(|b| claim_name(&b.verified_id_claim))
        .and_then(|c| claims.get(c))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::secret::Upn;
    use MatchConfidenceLevel::{Exact, Relaxed};

    fn user(given: Option<&str>, surname: Option<&str>) -> DirectoryUser {
        DirectoryUser {
            id: "u1".into(),
            user_principal_name: Upn::new("x@contoso.example"),
            given_name: given.map(PersonName::new),
            surname: surname.map(PersonName::new),
            account_enabled: Some(true),
            user_type: Some("Member".into()),
        }
    }

    fn bindings(level: MatchConfidenceLevel) -> Vec<ClaimBinding> {
        vec![
            ClaimBinding {
                source_attribute: "First name".into(),
                verified_id_claim: "vc.credentialSubject.firstName".into(),
                match_confidence_level: level,
            },
            ClaimBinding {
                source_attribute: "Last name".into(),
                verified_id_claim: "vc.credentialSubject.lastName".into(),
                match_confidence_level: level,
            },
        ]
    }

    fn run(
        level: MatchConfidenceLevel,
        dir: (Option<&str>, Option<&str>),
        cred: (&str, &str),
    ) -> MatchOutcome {
        let claims = Claims::from_pairs([("firstName", cred.0), ("lastName", cred.1)]);
        match_user(&bindings(level), &user(dir.0, dir.1), &claims)
    }

    const M: MatchOutcome = MatchOutcome::Matched;
    const GIVEN: MatchOutcome = MatchOutcome::Mismatch { field: DirectoryAttribute::GivenName };
    const SURNAME: MatchOutcome = MatchOutcome::Mismatch { field: DirectoryAttribute::Surname };
    const BLANK: MatchOutcome = MatchOutcome::BlankDirectoryName;

    /// name, directory (given, surname), credential (given, surname), exact outcome, relaxed outcome
    type Case<'a> = (
        &'a str,
        (Option<&'a str>, Option<&'a str>),
        (&'a str, &'a str),
        MatchOutcome,
        MatchOutcome,
    );

    #[test]
    fn table() {
        #[rustfmt::skip]
        let cases: &[Case] = &[
            // the demo tenant's personas
            ("ana clean", (Some("Ana"), Some("Lima")), ("Ana", "Lima"), M, M),
            ("ana case + spaces", (Some("Ana"), Some("Lima")), ("  ANA ", "lima"), M, M),
            ("maria middle name", (Some("Maria"), Some("Souza")), ("Maria Clara", "Souza"), GIVEN, M),
            ("maria clara vs maria", (Some("Maria Clara"), Some("Souza")), ("Maria", "Souza"), GIVEN, GIVEN),
            ("peter paul", (Some("Peter"), Some("Novak")), ("Peter Paul", "Novak"), GIVEN, M),
            ("zoe diacritics", (Some("Zoë"), Some("Wiśniewska")), ("ZOE", "WISNIEWSKA"), GIVEN, M),
            ("siobhan apostrophe", (Some("Siobhán"), Some("O'Brien")), ("Siobhán", "O’Brien"), SURNAME, M),
            ("siobhan mrz", (Some("Siobhán"), Some("O'Brien")), ("SIOBHAN", "OBRIEN"), GIVEN, M),
            ("o brien space", (Some("Siobhan"), Some("O'Brien")), ("Siobhan", "O Brien"), SURNAME, M),
            ("impostor anna lopes", (Some("Ana"), Some("Lima")), ("Anna", "Lopes"), GIVEN, GIVEN),
            ("sam blank", (None, None), ("Sam", "Blank"), BLANK, BLANK),
            ("james", (Some("James"), Some("Smith")), ("James", "Smith"), M, M),
            // more
            ("compound", (Some("Ewa"), Some("Kowalczyk-Łęcka")), ("Ewa", "Kowalczyk Lecka"), SURNAME, M),
            ("compound half", (Some("Ewa"), Some("Kowalczyk-Łęcka")), ("Ewa", "Kowalczyk"), SURNAME, SURNAME),
            ("mrz filler", (Some("Ewa"), Some("Kowalczyk-Łęcka")), ("EWA", "KOWALCZYK<LECKA"), SURNAME, M),
            ("cross field", (Some("Maria"), Some("da Silva Santos")), ("Maria da Silva", "Santos"), GIVEN, M),
            ("cross field back", (Some("Mary Ann"), Some("Smith")), ("Mary", "Ann Smith"), GIVEN, M),
            ("swapped", (Some("Ana"), Some("Lima")), ("Lima", "Ana"), GIVEN, GIVEN),
            ("cross needs every word", (Some("Maria Clara"), Some("Souza")), ("Maria", "Lima Souza"), GIVEN, GIVEN),
            ("john jonathan", (Some("Jonathan"), Some("Smith")), ("John", "Smith"), GIVEN, GIVEN),
            ("blank given", (None, Some("Lima")), ("Ana", "Lima"), BLANK, BLANK),
            ("empty given", (Some("  "), Some("Lima")), ("", "Lima"), BLANK, BLANK),
            ("punctuation only", (Some("'-."), Some("Lima")), ("'-.", "Lima"), BLANK, BLANK),
            ("blank surname", (Some("Sam"), None), ("Sam", ""), BLANK, BLANK),
            ("eszett", (Some("Strauß"), Some("Lima")), ("STRAUSS", "Lima"), M, M),
            ("missing claim", (Some("Ana"), Some("Lima")), ("Ana", ""), SURNAME, SURNAME),
            // Microsoft's example, the whole name in one claim
            ("maria elena", (Some("Maria"), Some("Garcia")), ("Maria Elena", "Garcia Lopez"), GIVEN, M),
            ("whole name first", (Some("Maria"), Some("Garcia")), ("Maria Elena Garcia Lopez", ""), GIVEN, M),
            ("whole name first, a word missing", (Some("Maria"), Some("Santos")), ("Maria Elena Garcia Lopez", ""), GIVEN, SURNAME),
            ("whole name last", (Some("Maria"), Some("Garcia")), ("", "Maria Elena Garcia Lopez"), GIVEN, GIVEN),
            // transliterations (ICAO 9303)
            ("mueller", (Some("Jürgen"), Some("Müller")), ("JUERGEN", "MUELLER"), GIVEN, M),
            ("mueller reverse", (Some("Juergen"), Some("Mueller")), ("Jürgen", "Müller"), GIVEN, M),
            ("soeren", (Some("Søren"), Some("Ødegård")), ("SOEREN", "OEDEGAARD"), GIVEN, M),
            ("soren plain", (Some("Søren"), Some("Ødegård")), ("SOREN", "ODEGARD"), GIVEN, M),
            ("munoz xx", (Some("José"), Some("Muñoz")), ("JOSE", "MUNXXOZ"), GIVEN, M),
            ("thorn", (Some("Þóra"), Some("Ægisdóttir")), ("THORA", "AEGISDOTTIR"), GIVEN, M),
            ("plain ue is not an umlaut", (Some("Jurgen"), Some("Muller")), ("JUERGEN", "MUELLER"), GIVEN, GIVEN),
        ];
        for (name, dir, cred, exact, relaxed) in cases {
            assert_eq!(run(Exact, *dir, *cred), *exact, "exact: {name}");
            assert_eq!(run(Relaxed, *dir, *cred), *relaxed, "relaxed: {name}");
        }
    }

    #[test]
    fn cross_field_needs_both_bindings_relaxed() {
        let u = user(Some("Maria"), Some("da Silva Santos"));
        let claims = Claims::from_pairs([("firstName", "Maria da Silva"), ("lastName", "Santos")]);
        let mut b = bindings(Relaxed);
        assert_eq!(match_user(&b, &u, &claims), M);
        b[1].match_confidence_level = Exact;
        assert_eq!(match_user(&b, &u, &claims), SURNAME);
        b.truncate(1);
        b[0].match_confidence_level = Relaxed;
        assert_eq!(match_user(&b, &u, &claims), M);
    }

    #[test]
    fn unsupported_bindings_fail_closed() {
        let u = user(Some("Ana"), Some("Lima"));
        let claims = Claims::from_pairs([("firstName", "Ana"), ("lastName", "Lima")]);
        let mut b = bindings(Exact);
        b[0].source_attribute = "Display name".into();
        assert_eq!(match_user(&b, &u, &claims), MatchOutcome::UnsupportedBinding);
        assert!(matches!(
            resolve_binding(&b[0]),
            Err(CoreError::UnsupportedBinding { source_attribute, .. }) if source_attribute == "Display name"
        ));
        let mut b = bindings(Exact);
        b[0].verified_id_claim = "vc.evidence.firstName".into();
        assert_eq!(match_user(&b, &u, &claims), MatchOutcome::UnsupportedBinding);
        assert!(resolve_binding(&b[0]).is_err());
        assert_eq!(
            match_user(&bindings(MatchConfidenceLevel::UnknownFutureValue), &u, &claims),
            MatchOutcome::UnsupportedBinding
        );
        assert_eq!(match_user(&[], &u, &claims), MatchOutcome::UnsupportedBinding);
        let relaxed = bindings(Relaxed);
        let ok = resolve_binding(&relaxed[1]).expect("resolves");
        assert_eq!((ok.field, ok.claim), (DirectoryAttribute::Surname, "lastName"));
    }

    #[test]
    fn icao_spellings() {
        use Reading::Join;
        assert_eq!(relaxed_words_as("Müller", Join, Spelling::Icao), vec!["mueller"]);
        assert_eq!(relaxed_words_as("Müller", Join, Spelling::Plain), vec!["muller"]);
        assert_eq!(relaxed_words_as("Müller", Join, Spelling::IcaoXx), vec!["muxxller"]);
        assert_eq!(relaxed_words_as("Søren Åberg", Join, Spelling::Icao), vec!["soeren", "aaberg"]);
        assert_eq!(relaxed_words_as("Muñoz", Join, Spelling::Icao), vec!["munoz"]);
        assert_eq!(relaxed_words_as("Muñoz", Join, Spelling::IcaoXx), vec!["munxxoz"]);
        assert_eq!(icao_mrz_form("Søren O'Brien-Müller"), "SOEREN<OBRIEN<MUELLER");
        assert_eq!(icao_mrz_form("Þóra Strauß"), "THORA<STRAUSS");
        // Exact folds no spelling.
        assert_eq!(
            compare(MatchConfidenceLevel::Exact, Some("Müller"), "MUELLER"),
            MatchOutcomeKind::Different
        );
        assert_eq!(
            compare(MatchConfidenceLevel::Relaxed, Some("Müller"), "MUELLER"),
            MatchOutcomeKind::Equal
        );
        // The search finds a namesake spelled as the machine-readable zone spells the name, and
        // one spelled with the letters the zone's digraphs stand for.
        assert!(search_words("Müller").contains(&"mueller".to_string()));
        assert!(search_words("MUELLER").contains(&"müller".to_string()));
        assert!(search_words("SOEREN").contains(&"søren".to_string()));
    }

    #[test]
    fn relaxed_words_examples() {
        use Reading::{Join, Split};
        assert_eq!(relaxed_words("O’Brien", Split), vec!["o", "brien"]);
        assert_eq!(relaxed_words("O’Brien", Join), vec!["obrien"]);
        assert_eq!(relaxed_words("Kowalczyk-Łęcka", Join), vec!["kowalczyk", "lecka"]);
        assert_eq!(
            relaxed_words("Ørsted Æble Œuvre Đorđe", Split),
            vec!["orsted", "aeble", "oeuvre", "dorde"]
        );
        assert_eq!(relaxed_words("J. R. R.", Split), vec!["j", "r", "r"]);
        assert_eq!(tidy("  Maria \t Clara "), "Maria Clara");
    }

    #[test]
    fn search_words_cover_both_readings_and_both_folds() {
        assert_eq!(search_words("O’Brien"), vec!["obrien", "o", "brien"]);
        assert_eq!(search_words("Zoë"), vec!["zoe", "zoë"]);
        assert_eq!(search_words("Ana Maria"), vec!["ana", "maria"]);
        assert_eq!(search_words("Kowalczyk-Łęcka"), vec!["kowalczyk", "lecka", "łęcka"]);
        assert!(search_words(" '-. ").is_empty());
    }

    mod props {
        use super::super::*;
        use proptest::prelude::*;

        fn name() -> impl Strategy<Value = String> {
            proptest::string::string_regex("[ A-Za-zéëæøłßŁÉ'’.<-]{0,16}").expect("regex")
        }

        proptest! {
            #[test]
            fn exact_implies_relaxed(d in name(), c in name()) {
                if compare(MatchConfidenceLevel::Exact, Some(&d), &c) == MatchOutcomeKind::Equal {
                    prop_assert_eq!(compare(MatchConfidenceLevel::Relaxed, Some(&d), &c), MatchOutcomeKind::Equal);
                }
                // a value always matches itself unless blank
                let expected = if is_blank(Some(&d)) { MatchOutcomeKind::Blank } else { MatchOutcomeKind::Equal };
                prop_assert_eq!(compare(MatchConfidenceLevel::Exact, Some(&d), &d), expected);
            }

            #[test]
            fn exact_user_match_implies_relaxed_user_match(g in name(), s in name(), cg in name(), cs in name()) {
                let u = DirectoryUser {
                    id: "u".into(),
                    user_principal_name: crate::secret::Upn::new("u@x"),
                    given_name: Some(PersonName::new(g)),
                    surname: Some(PersonName::new(s)),
                    account_enabled: Some(true),
                    user_type: Some("Member".into()),
                };
                let claims = Claims::from_pairs([("firstName", cg), ("lastName", cs)]);
                let b = |level| vec![
                    ClaimBinding { source_attribute: "First name".into(), verified_id_claim: "vc.credentialSubject.firstName".into(), match_confidence_level: level },
                    ClaimBinding { source_attribute: "Last name".into(), verified_id_claim: "vc.credentialSubject.lastName".into(), match_confidence_level: level },
                ];
                if match_user(&b(MatchConfidenceLevel::Exact), &u, &claims) == MatchOutcome::Matched {
                    prop_assert_eq!(match_user(&b(MatchConfidenceLevel::Relaxed), &u, &claims), MatchOutcome::Matched);
                }
            }

            #[test]
            fn case_insensitive(d in name(), c in name()) {
                for level in [MatchConfidenceLevel::Exact, MatchConfidenceLevel::Relaxed] {
                    let base = compare(level, Some(&d), &c);
                    prop_assert_eq!(compare(level, Some(&d), &c.to_uppercase()), base);
                    prop_assert_eq!(compare(level, Some(&d.to_lowercase()), &c.to_lowercase()), base);
                    prop_assert_eq!(compare(level, Some(&d.to_uppercase()), &c), base);
                }
            }

            #[test]
            fn a_name_matches_its_icao_transliteration(d in "[ a-zA-ZäöüåæøœßñÄÖÜÅÆØŒÑéèłŁþðÞ'’-]{0,16}") {
                let expected = if is_blank(Some(&d)) { MatchOutcomeKind::Blank } else { MatchOutcomeKind::Equal };
                prop_assert_eq!(compare(MatchConfidenceLevel::Relaxed, Some(&d), &icao_mrz_form(&d)), expected);
                prop_assert_eq!(compare(MatchConfidenceLevel::Relaxed, Some(&icao_mrz_form(&d)), &d), expected);
            }

            #[test]
            fn blank_never_matches(ws in "[ \t'.<-]{0,6}", c in name(), other in name()) {
                for level in [MatchConfidenceLevel::Exact, MatchConfidenceLevel::Relaxed] {
                    prop_assert_eq!(compare(level, Some(&ws), &c), MatchOutcomeKind::Blank);
                    prop_assert_eq!(compare(level, None, &c), MatchOutcomeKind::Blank);
                }
                prop_assert!(!cross_field_match(&ws, &other, &c, &other));
                prop_assert!(!cross_field_match(&other, &ws, &other, &c));
            }
        }
    }
}
