//! A statement and its values, written once for both dialects.
//!
//! The SQL text is the same in SQLite and MySQL; what differs is how some values travel: SQLite keeps
//! time as microseconds since the epoch and money as integer cents, MySQL as `DATETIME(6)` and
//! `DECIMAL(14,2)`. A statement therefore carries typed [`Value`]s, and each dialect binds them in
//! its own encoding.

use crate::domain::{Money, Timestamp};
use crate::store::UniqueKey;

/// One bound value.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum Value {
    Int(i64),
    OptInt(Option<i64>),
    Text(String),
    OptText(Option<String>),
    Flag(bool),
    Time(Timestamp),
    OptTime(Option<Timestamp>),
    Money(Money),
    /// Signed cents (a drawer's difference).
    Cents(i64),
}

/// SQL with `?` placeholders and the values for them, in order.
#[derive(Clone, Debug)]
pub(crate) struct Statement {
    pub(crate) sql: String,
    pub(crate) values: Vec<Value>,
    /// For a table whose only unique index is its primary key: the key a duplicate violates (MySQL
    /// names such an index `PRIMARY`, which does not say which table it belongs to).
    pub(crate) primary_key: Option<UniqueKey>,
}

impl Statement {
    pub(crate) fn new(sql: impl Into<String>) -> Statement {
        Statement {
            sql: sql.into(),
            values: Vec::new(),
            primary_key: None,
        }
    }

    fn push(mut self, value: Value) -> Statement {
        self.values.push(value);
        self
    }

    pub(crate) fn int(self, value: i64) -> Statement {
        self.push(Value::Int(value))
    }

    pub(crate) fn opt_int(self, value: Option<i64>) -> Statement {
        self.push(Value::OptInt(value))
    }

    pub(crate) fn text(self, value: impl Into<String>) -> Statement {
        self.push(Value::Text(value.into()))
    }

    pub(crate) fn opt_text(self, value: Option<&str>) -> Statement {
        self.push(Value::OptText(value.map(str::to_string)))
    }

    pub(crate) fn flag(self, value: bool) -> Statement {
        self.push(Value::Flag(value))
    }

    pub(crate) fn time(self, value: Timestamp) -> Statement {
        self.push(Value::Time(value))
    }

    pub(crate) fn opt_time(self, value: Option<Timestamp>) -> Statement {
        self.push(Value::OptTime(value))
    }

    pub(crate) fn money(self, value: Money) -> Statement {
        self.push(Value::Money(value))
    }

    pub(crate) fn cents(self, value: i64) -> Statement {
        self.push(Value::Cents(value))
    }

    /// One `?` per id, as in `id IN (?, ?, ?)`, with the ids bound.
    pub(crate) fn ids(self, ids: impl IntoIterator<Item = i64>) -> Statement {
        ids.into_iter().fold(self, Statement::int)
    }

    /// Binds texts in order (an `IN (...)` list).
    pub(crate) fn texts<'a>(self, texts: impl IntoIterator<Item = &'a str>) -> Statement {
        texts.into_iter().fold(self, Statement::text)
    }

    /// Says which key a duplicate primary key means.
    pub(crate) fn primary_key(mut self, key: UniqueKey) -> Statement {
        self.primary_key = Some(key);
        self
    }
}

/// `?, ?, ?` for `count` values.
pub(crate) fn placeholders(count: usize) -> String {
    vec!["?"; count].join(", ")
}

/// The `VALUES` list of a multi-row `INSERT`: `rows` groups of `columns` placeholders.
pub(crate) fn rows_of(columns: usize, rows: usize) -> String {
    vec![format!("({})", placeholders(columns)); rows].join(", ")
}

/// What a list query reads, and in which order.
#[derive(Clone, Copy)]
pub(crate) struct Listing {
    pub(crate) table: &'static str,
    pub(crate) columns: &'static str,
    pub(crate) order_by: &'static str,
}

/// `WHERE` clauses with their values, built up by the list queries.
#[derive(Default)]
pub(crate) struct Filter {
    clauses: Vec<String>,
    values: Vec<Value>,
}

impl Filter {
    pub(crate) fn push(&mut self, clause: &str, values: impl IntoIterator<Item = Value>) {
        self.clauses.push(clause.to_string());
        self.values.extend(values);
    }

    /// `SELECT {what} FROM {table} WHERE ...` with the filter's values bound; more SQL may follow.
    pub(crate) fn select(&self, what: &str, table: &str, rest: &str) -> Statement {
        let mut sql = format!("SELECT {what} FROM {table}");
        if !self.clauses.is_empty() {
            sql.push_str(" WHERE ");
            sql.push_str(&self.clauses.join(" AND "));
        }
        if !rest.is_empty() {
            sql.push(' ');
            sql.push_str(rest);
        }
        Statement {
            sql,
            values: self.values.clone(),
            primary_key: None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_filter_joins_its_clauses_and_keeps_the_values_in_order() {
        let mut filter = Filter::default();
        filter.push("a = ?", [Value::Int(1)]);
        filter.push("b BETWEEN ? AND ?", [Value::Int(2), Value::Int(3)]);
        let statement = filter.select("COUNT(*)", "t", "LIMIT ?").int(4);
        assert_eq!(
            statement.sql,
            "SELECT COUNT(*) FROM t WHERE a = ? AND b BETWEEN ? AND ? LIMIT ?"
        );
        assert_eq!(
            statement.values,
            [1, 2, 3, 4].map(Value::Int).to_vec(),
            "values follow the placeholders"
        );
    }

    #[test]
    fn an_empty_filter_has_no_where() {
        let statement = Filter::default().select("id", "t", "");
        assert_eq!(statement.sql, "SELECT id FROM t");
        assert_eq!(placeholders(3), "?, ?, ?");
    }
}
