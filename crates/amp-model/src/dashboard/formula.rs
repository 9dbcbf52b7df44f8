//! Event segmentation formulas: `UNIQUES(A)/UNIQUES(B)`, `TOTALS(A) - 2 * PROPSUM(B)`, ...
//! Functions take an event letter (`A` for `e`, `B` for `e2`); `+ - * /` and parentheses
//! combine them and numbers. Division by zero gives 0. The SDK parses a formula to refuse a bad
//! one before sending; the emulator parses it to compute it.

use crate::{ValidationError, param};

/// The deepest nesting of parentheses a formula may have, so that no formula can exhaust the
/// parser's stack.
pub const MAX_FORMULA_DEPTH: usize = 64;

/// A metric of one event that a formula reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Measure {
    /// Distinct users.
    Uniques,
    /// Events.
    Totals,
    /// The sum of the event's group-by property.
    PropSum,
    /// The average of the event's group-by property.
    PropAvg,
}

/// A parsed formula.
#[derive(Debug, Clone, PartialEq)]
pub enum Formula {
    /// A number.
    Number(f64),
    /// A measure of event `0` (A) or `1` (B).
    Term(Measure, usize),
    /// An operation.
    Binary(Box<Formula>, char, Box<Formula>),
}

impl Formula {
    /// Parses `text`; errors name the `formula` parameter.
    ///
    /// # Errors
    ///
    /// Where the text stops being a formula, and what is allowed.
    pub fn parse(text: &str) -> Result<Self, ValidationError> {
        let tokens: Vec<char> = text.chars().filter(|c| !c.is_whitespace()).collect();
        let mut parser = Parser {
            tokens: &tokens,
            at: 0,
            depth: 0,
        };
        let formula = parser.sum()?;
        if parser.at != tokens.len() {
            return Err(parser.error("unexpected text"));
        }
        Ok(formula)
    }

    /// The value, with `term` giving each measure's.
    pub fn evaluate(&self, term: &dyn Fn(Measure, usize) -> f64) -> f64 {
        match self {
            Self::Number(number) => *number,
            Self::Term(measure, event) => term(*measure, *event),
            Self::Binary(left, op, right) => {
                let (left, right) = (left.evaluate(term), right.evaluate(term));
                match op {
                    '+' => left + right,
                    '-' => left - right,
                    '*' => left * right,
                    _ if right == 0.0 => 0.0,
                    _ => left / right,
                }
            }
        }
    }
}

struct Parser<'a> {
    tokens: &'a [char],
    at: usize,
    /// Parentheses open at `at`.
    depth: usize,
}

impl Parser<'_> {
    fn error(&self, what: &str) -> ValidationError {
        ValidationError::new(
            param::FORMULA,
            format!(
                "{what} at character {}; write e.g. UNIQUES(A)/UNIQUES(B) with UNIQUES, TOTALS, PROPSUM or PROPAVG of A or B",
                self.at + 1
            ),
        )
    }

    fn peek(&self) -> Option<char> {
        self.tokens.get(self.at).copied()
    }

    fn sum(&mut self) -> Result<Formula, ValidationError> {
        let mut left = self.product()?;
        while let Some(op @ ('+' | '-')) = self.peek() {
            self.at += 1;
            left = Formula::Binary(Box::new(left), op, Box::new(self.product()?));
        }
        Ok(left)
    }

    fn product(&mut self) -> Result<Formula, ValidationError> {
        let mut left = self.atom()?;
        while let Some(op @ ('*' | '/')) = self.peek() {
            self.at += 1;
            left = Formula::Binary(Box::new(left), op, Box::new(self.atom()?));
        }
        Ok(left)
    }

    fn atom(&mut self) -> Result<Formula, ValidationError> {
        match self.peek() {
            Some('(') => {
                if self.depth == MAX_FORMULA_DEPTH {
                    return Err(self.error(&format!(
                        "parentheses nested deeper than {MAX_FORMULA_DEPTH}"
                    )));
                }
                self.at += 1;
                self.depth += 1;
                let inner = self.sum()?;
                self.depth -= 1;
                if self.peek() != Some(')') {
                    return Err(self.error("a `)` is missing"));
                }
                self.at += 1;
                Ok(inner)
            }
            Some(c) if c.is_ascii_digit() || c == '.' => {
                let start = self.at;
                while self.peek().is_some_and(|c| c.is_ascii_digit() || c == '.') {
                    self.at += 1;
                }
                let text: String = self.tokens[start..self.at].iter().collect();
                text.parse()
                    .map(Formula::Number)
                    .map_err(|_| self.error("a bad number"))
            }
            Some(c) if c.is_ascii_alphabetic() => {
                let start = self.at;
                while self.peek().is_some_and(|c| c.is_ascii_alphabetic()) {
                    self.at += 1;
                }
                let name: String = self.tokens[start..self.at]
                    .iter()
                    .collect::<String>()
                    .to_ascii_uppercase();
                let measure = match name.as_str() {
                    "UNIQUES" => Measure::Uniques,
                    "TOTALS" => Measure::Totals,
                    "PROPSUM" => Measure::PropSum,
                    "PROPAVG" => Measure::PropAvg,
                    _ => return Err(self.error(&format!("unknown function `{name}`"))),
                };
                let event = match (
                    self.tokens.get(self.at),
                    self.tokens.get(self.at + 1),
                    self.tokens.get(self.at + 2),
                ) {
                    (Some('('), Some(letter @ ('A' | 'a' | 'B' | 'b')), Some(')')) => {
                        usize::from(letter.eq_ignore_ascii_case(&'B'))
                    }
                    _ => return Err(self.error("a function takes one event, (A) or (B)")),
                };
                self.at += 3;
                Ok(Formula::Term(measure, event))
            }
            _ => Err(self.error("a value is missing")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn precedence_parentheses_and_division_by_zero() {
        let formula = Formula::parse("UNIQUES(A) / (TOTALS(B) - 2) * 10 + 1").unwrap();
        let value = formula.evaluate(&|measure, event| match (measure, event) {
            (Measure::Uniques, 0) => 6.0,
            (Measure::Totals, 1) => 5.0,
            _ => unreachable!("only these terms"),
        });
        assert!((value - 21.0).abs() < 1e-9, "{value}");
        let zero = Formula::parse("TOTALS(A)/UNIQUES(B)")
            .unwrap()
            .evaluate(&|_, event| if event == 0 { 3.0 } else { 0.0 });
        assert!(zero.abs() < f64::EPSILON);
        for bad in [
            "",
            "UNIQUES(C)",
            "MEDIAN(A)",
            "UNIQUES(A",
            "(TOTALS(A)",
            "TOTALS(A) +",
            "1..2",
        ] {
            assert_eq!(
                Formula::parse(bad).unwrap_err().param(),
                param::FORMULA,
                "{bad}"
            );
        }
        let deep = format!("{}TOTALS(A){}", "(".repeat(10_000), ")".repeat(10_000));
        let error = Formula::parse(&deep).unwrap_err();
        assert!(error.reason().contains("nested deeper"), "{error}");
        let fits = format!(
            "{}TOTALS(A){}",
            "(".repeat(MAX_FORMULA_DEPTH),
            ")".repeat(MAX_FORMULA_DEPTH)
        );
        Formula::parse(&fits).unwrap();
    }
}
