//! The topic filters rumqttd's router keeps: it makes a log for every distinct filter anyone ever
//! subscribes to and frees none until the app exits, so their number and size are bounded here,
//! before a SUBSCRIBE reaches it.

use std::collections::HashSet;

/// Distinct filters the router may hold (a few KiB of memory each inside rumqttd): a thousand
/// simulated devices with a command topic each use a thousand.
pub const MAX_FILTERS: usize = 10_000;
/// Bytes of those filters' names together.
pub const MAX_FILTER_BYTES: usize = 4 * 1024 * 1024;
/// Filters one connection may hold at once: rumqttd's router walks all of a connection's filters
/// for each of them when it leaves, so thousands would hold up every client for a while.
pub const MAX_FILTERS_PER_CONNECTION: usize = 1_000;
/// Bytes of one connection's filter names together.
pub const MAX_FILTER_BYTES_PER_CONNECTION: usize = 256 * 1024;

/// A set of filter names bounded in count and in bytes, taking a SUBSCRIBE's filters all or none.
#[derive(Debug)]
struct BoundedSet {
    filters: HashSet<String>,
    bytes: usize,
    max_filters: usize,
    max_bytes: usize,
}

impl BoundedSet {
    fn new(max_filters: usize, max_bytes: usize) -> Self {
        Self {
            filters: HashSet::new(),
            bytes: 0,
            max_filters,
            max_bytes,
        }
    }

    /// Adds the filters not held yet; false (and nothing added) when they do not all fit.
    fn add<'a>(&mut self, filters: impl IntoIterator<Item = &'a str>) -> bool {
        let new: HashSet<&str> = filters
            .into_iter()
            .filter(|filter| !self.filters.contains(*filter))
            .collect();
        let new_bytes: usize = new.iter().map(|filter| filter.len()).sum();
        if self.filters.len() + new.len() > self.max_filters
            || self.bytes + new_bytes > self.max_bytes
        {
            return false;
        }
        self.bytes += new_bytes;
        self.filters.extend(new.into_iter().map(str::to_owned));
        true
    }

    fn remove(&mut self, filter: &str) {
        if self.filters.remove(filter) {
            self.bytes = self.bytes.saturating_sub(filter.len());
        }
    }
}

/// Every filter the router has been asked for since the app started.
#[derive(Debug)]
pub struct KnownFilters(BoundedSet);

impl Default for KnownFilters {
    fn default() -> Self {
        Self::with_limits(MAX_FILTERS, MAX_FILTER_BYTES)
    }
}

impl KnownFilters {
    pub fn with_limits(max_filters: usize, max_bytes: usize) -> Self {
        Self(BoundedSet::new(max_filters, max_bytes))
    }

    /// Admits a SUBSCRIBE's filters, or none of them with the reason it cannot be served.
    pub fn admit<'a>(&mut self, filters: impl IntoIterator<Item = &'a str>) -> Result<(), String> {
        if self.0.add(filters.into_iter().map(router_filter)) {
            return Ok(());
        }
        Err(format!(
            "it subscribed to new topic filters, but the broker already keeps {} different ones (it keeps each until the app exits); subscribe with wildcards (+, #) instead",
            super::limits::thousands(self.0.filters.len() as u64)
        ))
    }
}

/// The filters one connection holds, bounded.
#[derive(Debug)]
pub struct ConnectionFilters(BoundedSet);

impl Default for ConnectionFilters {
    fn default() -> Self {
        Self(BoundedSet::new(
            MAX_FILTERS_PER_CONNECTION,
            MAX_FILTER_BYTES_PER_CONNECTION,
        ))
    }
}

impl ConnectionFilters {
    /// Takes a SUBSCRIBE's filters, or none of them with the reason it cannot be served.
    pub fn subscribe<'a>(
        &mut self,
        filters: impl IntoIterator<Item = &'a str>,
    ) -> Result<(), String> {
        if self.0.add(filters) {
            return Ok(());
        }
        Err(format!(
            "it subscribed to more than {} topic filters at once; subscribe with wildcards (+, #) instead",
            super::limits::thousands(MAX_FILTERS_PER_CONNECTION as u64)
        ))
    }

    /// An UNSUBSCRIBE's filters are no longer held.
    pub fn unsubscribe<'a>(&mut self, filters: impl IntoIterator<Item = &'a str>) {
        for filter in filters {
            self.0.remove(filter);
        }
    }
}

/// The filter the router keeps a log for: a shared subscription `$share/group/filter` reads the
/// log of `filter`.
fn router_filter(filter: &str) -> &str {
    filter
        .strip_prefix("$share/")
        .and_then(|rest| rest.split_once('/'))
        .map_or(filter, |(_group, path)| path)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn filters_already_kept_are_free_and_new_ones_count_until_the_limit() {
        let mut known = KnownFilters::with_limits(3, 1000);
        assert!(known.admit(["a/#", "b/+"]).is_ok());
        assert!(
            known.admit(["a/#", "$share/g/b/+"]).is_ok(),
            "both are kept already"
        );
        assert!(
            known.admit(["c", "d"]).is_err(),
            "two new ones do not fit: none is taken"
        );
        assert!(known.admit(["c"]).is_ok());
        assert!(known.admit(["a/#", "c"]).is_ok());
        assert!(known.admit(["e"]).is_err());
    }

    #[test]
    fn a_connection_holds_a_bounded_number_of_filters_and_unsubscribing_makes_room() {
        let mut held = ConnectionFilters::default();
        let names: Vec<String> = (0..MAX_FILTERS_PER_CONNECTION)
            .map(|n| format!("f/{n}"))
            .collect();
        assert!(held.subscribe(names.iter().map(String::as_str)).is_ok());
        assert!(held.subscribe(["f/0"]).is_ok(), "held already");
        assert!(held.subscribe(["g"]).is_err());
        held.unsubscribe(["f/0"]);
        assert!(held.subscribe(["g"]).is_ok());
    }

    #[test]
    fn the_names_bytes_are_bounded_too() {
        let mut known = KnownFilters::with_limits(100, 10);
        assert!(known.admit(["0123456789"]).is_ok());
        assert!(known.admit(["x"]).is_err());
    }
}
