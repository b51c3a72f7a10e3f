//! List queries: search, filters and pagination. Every backend answers them identically.

use serde::Serialize;

use super::{CustomerId, Invalid, OrderStatus, Timestamp};

/// A window over a list: skip `offset` rows, return at most `limit`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PageRequest {
    offset: u64,
    limit: u32,
}

impl PageRequest {
    /// The largest page a caller may ask for.
    pub const MAX_LIMIT: u32 = 500;
    /// The page size when none is given.
    pub const DEFAULT_LIMIT: u32 = 50;

    /// Validates a window.
    pub fn new(offset: u64, limit: u32) -> Result<PageRequest, Invalid> {
        if limit == 0 || limit > PageRequest::MAX_LIMIT {
            return Err(Invalid::new(format!(
                "limit must be 1 to {}",
                PageRequest::MAX_LIMIT
            )));
        }
        if offset > i64::MAX as u64 {
            return Err(Invalid::new("offset is too large"));
        }
        Ok(PageRequest { offset, limit })
    }

    /// The first page of the given size (clamped to 1..=MAX_LIMIT).
    pub fn first(limit: u32) -> PageRequest {
        PageRequest {
            offset: 0,
            limit: limit.clamp(1, PageRequest::MAX_LIMIT),
        }
    }

    /// Rows to skip.
    pub fn offset(self) -> u64 {
        self.offset
    }

    /// Rows to return at most.
    pub fn limit(self) -> u32 {
        self.limit
    }

    /// Applies the window to an in-memory, already ordered list.
    pub fn slice<T: Clone>(self, all: &[T]) -> Vec<T> {
        let start = usize::try_from(self.offset)
            .unwrap_or(usize::MAX)
            .min(all.len());
        let end = start.saturating_add(self.limit as usize).min(all.len());
        all[start..end].to_vec()
    }
}

impl Default for PageRequest {
    fn default() -> Self {
        PageRequest::first(PageRequest::DEFAULT_LIMIT)
    }
}

/// One page of a list and the size of the whole list.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Page<T> {
    /// The rows of this page.
    pub items: Vec<T>,
    /// How many rows the whole list has. When the query asked to skip counting
    /// ([`ProductQuery::skip_total`]) it is not counted and reads `offset + items.len()`.
    pub total: u64,
    /// The window's offset.
    pub offset: u64,
    /// The window's limit.
    pub limit: u32,
}

impl<T> Page<T> {
    /// Reports the total as uncounted (see [`ProductQuery::skip_total`]).
    pub fn without_total(mut self) -> Page<T> {
        self.total = self.offset.saturating_add(self.items.len() as u64);
        self
    }

    /// Converts the rows, keeping the window.
    pub fn map<U>(self, f: impl FnMut(T) -> U) -> Page<U> {
        Page {
            items: self.items.into_iter().map(f).collect(),
            total: self.total,
            offset: self.offset,
            limit: self.limit,
        }
    }
}

/// A search term: trimmed, 1 to 100 characters, compared case-insensitively.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SearchTerm {
    folded: String,
}

impl SearchTerm {
    /// Validates a term; `Ok(None)` for a blank one (no filtering).
    pub fn parse(text: &str) -> Result<Option<SearchTerm>, Invalid> {
        let trimmed = text.trim();
        if trimmed.is_empty() {
            return Ok(None);
        }
        if trimmed.chars().count() > 100 {
            return Err(Invalid::new("must be at most 100 characters"));
        }
        if trimmed.chars().any(char::is_control) {
            return Err(Invalid::new("must not contain control characters"));
        }
        Ok(Some(SearchTerm {
            folded: fold(trimmed),
        }))
    }

    /// The term, case-folded with [`fold`].
    pub fn folded(&self) -> &str {
        &self.folded
    }

    /// The term as a SKU prefix would be written (SKUs are upper-case).
    pub fn as_sku_prefix(&self) -> String {
        self.folded.to_uppercase()
    }
}

/// The folding every backend uses for search: Unicode lower case without accents, so `feijao`
/// finds "Feijão" and `acucar` finds "AÇÚCAR". The SQL backends store a folded copy of each
/// searchable column so they need no collation of their own to agree.
///
/// ```
/// assert_eq!(erp_core::domain::fold("Feijão Açúcar"), "feijao acucar");
/// ```
pub fn fold(text: &str) -> String {
    use unicode_normalization::UnicodeNormalization;
    use unicode_normalization::char::is_combining_mark;
    // Lower case first: lowering can itself produce combining marks (`İ` becomes `i̇`).
    text.to_lowercase()
        .nfd()
        .filter(|c| !is_combining_mark(*c))
        .collect()
}

/// Bumped when [`fold`] changes, so stored folded columns are computed again (see the SQL
/// store's `refold`).
pub const FOLD_VERSION: &str = "search_fold_2_accents";

/// Which customers to list. Ordered by name (folded), then id.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct CustomerQuery {
    /// Matches a folded substring of the name or the e-mail, or a prefix of the tax id.
    pub search: Option<SearchTerm>,
    /// Include soft-deleted customers.
    pub include_deleted: bool,
    /// The window.
    pub page: PageRequest,
}

/// Which products to list. Ordered by SKU.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ProductQuery {
    /// Matches a SKU prefix or a folded substring of the name.
    pub search: Option<SearchTerm>,
    /// Include deactivated products.
    pub include_inactive: bool,
    /// Only products whose available stock is at or below their reorder level.
    pub low_stock_only: bool,
    /// The window.
    pub page: PageRequest,
    /// Do not count the whole list (type-ahead search, where no total is shown): a name search
    /// then stops at the end of the page instead of scanning the catalogue twice.
    pub skip_total: bool,
}

/// Which orders to list. Newest first (by id, descending).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct OrderQuery {
    /// Only orders in this status.
    pub status: Option<OrderStatus>,
    /// Only orders of this customer.
    pub customer_id: Option<CustomerId>,
    /// Only orders created at or after this time.
    pub created_from: Option<Timestamp>,
    /// Only orders created before this time.
    pub created_before: Option<Timestamp>,
    /// The window.
    pub page: PageRequest,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn page_limits_are_bounded() {
        assert!(PageRequest::new(0, 0).is_err());
        assert!(PageRequest::new(0, 501).is_err());
        assert!(PageRequest::new(u64::MAX, 10).is_err());
        assert_eq!(PageRequest::new(5, 10).unwrap().offset(), 5);
    }

    #[test]
    fn slice_applies_the_window() {
        let all: Vec<u32> = (0..10).collect();
        assert_eq!(PageRequest::new(8, 5).unwrap().slice(&all), vec![8, 9]);
        assert!(PageRequest::new(20, 5).unwrap().slice(&all).is_empty());
    }

    #[test]
    fn search_terms_fold_case_and_accents_and_ignore_blank() {
        assert_eq!(SearchTerm::parse("   ").unwrap(), None);
        let term = SearchTerm::parse(" ÇAfé ").unwrap().unwrap();
        assert_eq!(term.folded(), "cafe");
        assert_eq!(fold("FEIJÃO Açúcar İ"), "feijao acucar i");
        assert!(SearchTerm::parse(&"x".repeat(101)).is_err());
    }
}
