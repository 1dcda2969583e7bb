//! Location arguments of the customer methods (backend spec 5.2): which keys
//! make a location, reading them as sent, and checking them in Freeside's
//! order, ending with the locality check against the store's table.
//!
//! Only checks and cleaning live here; deciding which location a customer
//! uses is the methods' business.

use bursar_core::field::{self, FieldError};
use bursar_core::geo;
use bursar_core::model::Location;
use bursar_rpc::Args;

use super::super::args::ArgsExt;
use crate::error::ApiError;

/// Every location key a client may send, in the order of spec 5.2.
pub(super) const LOCATION_KEYS: [&str; 20] = [
    "locationname",
    "address1",
    "address2",
    "city",
    "county",
    "state",
    "zip",
    "country",
    "latitude",
    "longitude",
    "coord_auto",
    "addr_clean",
    "geocode",
    "district",
    "censustract",
    "censusyear",
    "location_type",
    "location_number",
    "location_kind",
    "incorporated",
];

/// The keys that make the address `update_customer` changes.
pub(super) const ADDRESS_KEYS: [&str; 7] = [
    "address1", "address2", "city", "county", "state", "zip", "country",
];

/// The keys a changed address keeps from the location it replaces (the
/// others describe the old address: coordinates, tax codes, census data).
const KEPT_ON_MOVE: [&str; 2] = ["locationname", "location_kind"];

/// The census year stamped on a location given a tract without a year.
const CENSUS_YEAR: &str = "2020";

/// A location as sent: the text of each of [`LOCATION_KEYS`], unchecked.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(in crate::backoffice) struct RawLocation {
    values: [String; LOCATION_KEYS.len()],
    /// The zip arrived as an integer type, so its leading zeros are lost.
    zip_integer_typed: bool,
}

impl RawLocation {
    /// The billing location of `new_customer`: each key from `bill_KEY`
    /// when that is non-empty, else from `KEY`.
    pub(super) fn billing(args: &Args) -> RawLocation {
        let mut raw = RawLocation::default();
        for (idx, key) in LOCATION_KEYS.iter().enumerate() {
            let bill_key = format!("bill_{key}");
            let source = if args.text(&bill_key).is_empty() {
                (*key).to_string()
            } else {
                bill_key
            };
            raw.values[idx] = args.text(&source).to_string();
            if *key == "zip" {
                raw.zip_integer_typed = args.integer_typed(&source);
            }
        }
        raw
    }

    /// The location sent under `prefix` (`ship_`): absent keys are empty.
    pub(in crate::backoffice) fn prefixed(args: &Args, prefix: &str) -> RawLocation {
        let mut raw = RawLocation::default();
        for (idx, key) in LOCATION_KEYS.iter().enumerate() {
            let name = format!("{prefix}{key}");
            raw.values[idx] = args.text(&name).to_string();
            if *key == "zip" {
                raw.zip_integer_typed = args.integer_typed(&name);
            }
        }
        raw
    }

    /// `current` with the address keys sent under `prefix` replacing its
    /// own (absent keys keep their values, as Bursar decides against
    /// Freeside). When the address differs, the fields that described the
    /// old one are cleared; [`KEPT_ON_MOVE`] stay.
    pub(super) fn merged(current: &Location, args: &Args, prefix: &str) -> RawLocation {
        let mut raw = RawLocation::from_location(current);
        for key in ADDRESS_KEYS {
            let name = format!("{prefix}{key}");
            if let Some(value) = args.sent(&name) {
                raw.set(key, value);
                if key == "zip" {
                    raw.zip_integer_typed = args.integer_typed(&name);
                }
            }
        }
        let unchanged = ADDRESS_KEYS
            .iter()
            .all(|key| raw.get(key) == RawLocation::from_location(current).get(key));
        if !unchanged {
            for key in LOCATION_KEYS {
                if !ADDRESS_KEYS.contains(&key) && !KEPT_ON_MOVE.contains(&key) {
                    raw.set(key, "");
                }
            }
        }
        raw
    }

    /// A stored location as text.
    fn from_location(location: &Location) -> RawLocation {
        let mut raw = RawLocation::default();
        for (idx, key) in LOCATION_KEYS.iter().enumerate() {
            raw.values[idx] = stored_field(location, key).to_string();
        }
        raw
    }

    /// The text of `key`.
    pub(in crate::backoffice) fn get(&self, key: &str) -> &str {
        LOCATION_KEYS
            .iter()
            .position(|k| *k == key)
            .map_or("", |idx| self.values[idx].as_str())
    }

    fn set(&mut self, key: &str, value: &str) {
        if let Some(idx) = LOCATION_KEYS.iter().position(|k| *k == key) {
            self.values[idx] = value.to_string();
        }
    }

    /// Whether `self` and `other` differ in any key (as sent).
    pub(super) fn differs_from(&self, other: &RawLocation) -> bool {
        self.values != other.values
    }
}

/// Whether two locations have the same address (the keys
/// `update_customer` changes).
pub(super) fn same_address(a: &Location, b: &Location) -> bool {
    ADDRESS_KEYS
        .iter()
        .all(|key| stored_field(a, key) == stored_field(b, key))
}

/// Checks a location in Freeside's order and its locality; field errors get
/// `suffix` (` (in billing location)` on `new_customer`, empty elsewhere).
///
/// # Errors
/// The first failing rule's message with the suffix, or a store failure.
pub(in crate::backoffice) async fn check(
    conn: &mut bursar_store::Conn,
    raw: &RawLocation,
    suffix: &str,
) -> Result<Location, ApiError> {
    let location = check_fields(raw).map_err(|e| e.with_suffix(suffix))?;
    let known = bursar_store::customer_update::locality_known(
        conn,
        &location.country,
        &location.state,
        &location.county,
    )
    .await?;
    if !known {
        return Err(
            geo::unknown_locality(&location.state, &location.county, &location.country)
                .with_suffix(suffix)
                .into(),
        );
    }
    Ok(location)
}

/// The field rules of spec 5.2, in order; no lookups.
fn check_fields(raw: &RawLocation) -> Result<Location, FieldError> {
    let locationname = field::textn("locationname", raw.get("locationname"))?;
    let address1 = field::text("address1", raw.get("address1"))?;
    let address2 = field::textn("address2", raw.get("address2"))?;
    let city = field::text("city", raw.get("city"))?;
    let county = field::textn("county", raw.get("county"))?;
    let state = field::textn("state", raw.get("state"))?;
    let country = geo::country("country", raw.get("country"))?;
    let zip = geo::zip("zip", &restore_zip(raw, &country), &country)?;
    let latitude = coordinate("latitude", raw.get("latitude"))?;
    let longitude = coordinate("longitude", raw.get("longitude"))?;
    let coord_auto = field::enum_value("coord_auto", raw.get("coord_auto"), &["", "Y"])?;
    let addr_clean = field::enum_value("addr_clean", raw.get("addr_clean"), &["", "Y"])?;
    let geocode = field::alphan("geocode", raw.get("geocode"))?;
    let district = field::alphan("district", raw.get("district"))?;
    let censustract = field::census_tract(raw.get("censustract"))?;
    let mut censusyear = field::numbern("censusyear", raw.get("censusyear"))?;
    if !censustract.is_empty() && censusyear.is_empty() {
        censusyear = CENSUS_YEAR.to_string();
    }
    let location_type = field::alphan("location_type", raw.get("location_type"))?;
    let location_number = field::textn("location_number", raw.get("location_number"))?;
    let location_kind =
        field::enum_value("location_kind", raw.get("location_kind"), &["", "R", "B"])?;
    let incorporated = field::flag("incorporated", raw.get("incorporated"))?;
    Ok(Location {
        locationname,
        address1,
        address2,
        city,
        county,
        state,
        zip,
        country,
        latitude,
        longitude,
        coord_auto: coord_auto.to_string(),
        addr_clean: addr_clean.to_string(),
        geocode,
        district,
        censustract,
        censusyear,
        location_type,
        location_number,
        location_kind: location_kind.to_string(),
        incorporated: if incorporated { "Y" } else { "" }.to_string(),
        ..Location::default()
    })
}

/// The zip as the client meant it: a US zip that arrived as an integer
/// type lost its leading zeros (`<int>1234</int>`), so it is padded back to
/// five digits. Anything else is returned as sent.
fn restore_zip(raw: &RawLocation, country: &str) -> String {
    let zip = raw.get("zip").trim();
    if raw.zip_integer_typed
        && country == "US"
        && !zip.is_empty()
        && zip.len() < 5
        && zip.bytes().all(|b| b.is_ascii_digit())
    {
        format!("{zip:0>5}")
    } else {
        raw.get("zip").to_string()
    }
}

/// A coordinate as stored: decimal degrees, or empty.
fn coordinate(name: &str, value: &str) -> Result<String, FieldError> {
    Ok(field::coord(name, value)?
        .map(|degrees| degrees.to_string())
        .unwrap_or_default())
}

/// The stored text of location field `key`.
pub(super) fn stored_field<'a>(location: &'a Location, key: &str) -> &'a str {
    match key {
        "locationname" => &location.locationname,
        "address1" => &location.address1,
        "address2" => &location.address2,
        "city" => &location.city,
        "county" => &location.county,
        "state" => &location.state,
        "zip" => &location.zip,
        "country" => &location.country,
        "latitude" => &location.latitude,
        "longitude" => &location.longitude,
        "coord_auto" => &location.coord_auto,
        "addr_clean" => &location.addr_clean,
        "geocode" => &location.geocode,
        "district" => &location.district,
        "censustract" => &location.censustract,
        "censusyear" => &location.censusyear,
        "location_type" => &location.location_type,
        "location_number" => &location.location_number,
        "location_kind" => &location.location_kind,
        "incorporated" => &location.incorporated,
        _ => "",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn raw(pairs: &[(&str, &str)]) -> RawLocation {
        let mut raw = RawLocation::default();
        for (key, value) in pairs {
            raw.set(key, value);
        }
        raw
    }

    const TOFUTOWN: [(&str, &str); 5] = [
        ("address1", "1234 Soybean Ln."),
        ("city", "Tofutown"),
        ("state", "CA"),
        ("zip", "54321"),
        ("country", "US"),
    ];

    /// `changes` applied to the Tofutown address; `expected` is the error
    /// message or `Ok`.
    fn check(changes: &[(&str, &str)], expected: Result<(), &str>) {
        let mut location = raw(&TOFUTOWN);
        for (key, value) in changes {
            location.set(key, value);
        }
        let got = check_fields(&location).map(|_| ());
        assert_eq!(
            got.as_ref().map(|_| ()).map_err(FieldError::message),
            expected,
            "{changes:?}"
        );
    }

    #[test]
    fn fields_are_checked_in_freeside_order() {
        check(&[], Ok(()));
        check(
            &[("address1", "")],
            Err("Illegal or empty (text) address1: "),
        );
        check(
            &[("address1", ""), ("city", "")],
            Err("Illegal or empty (text) address1: "),
        );
        check(&[("city", "")], Err("Illegal or empty (text) city: "));
        check(
            &[("locationname", "a{b")],
            Err("Illegal or empty (text) locationname: a{b"),
        );
        check(&[("country", "")], Err("Illegal (country) country: "));
        check(
            &[("zip", "5432")],
            Err("Illegal (zip) zip for country US: 5432"),
        );
        check(
            &[("latitude", "north")],
            Err("Invalid (coordinate) latitude: north"),
        );
        check(
            &[("coord_auto", "N")],
            Err("Illegal (enum) field coord_auto: N"),
        );
        check(
            &[("geocode", "a-b")],
            Err("Illegal (alphanumeric) geocode: a-b"),
        );
        check(&[("censustract", "12")], Err("Illegal census tract: 12"));
        check(
            &[("location_kind", "X")],
            Err("Illegal (enum) field location_kind: X"),
        );
        check(
            &[("incorporated", "N")],
            Err("Illegal (flag) field incorporated: N"),
        );
    }

    #[test]
    fn integer_typed_us_zips_get_their_zeros_back() {
        let mut location = raw(&TOFUTOWN);
        location.set("zip", "1234");
        location.zip_integer_typed = true;
        assert_eq!(check_fields(&location).unwrap().zip, "01234");
        location.set("country", "DE");
        assert_eq!(check_fields(&location).unwrap().zip, "1234");
        location.set("country", "US");
        location.zip_integer_typed = false;
        assert!(check_fields(&location).is_err());
    }

    #[test]
    fn a_tract_without_year_gets_the_census_year() {
        let mut location = raw(&TOFUTOWN);
        location.set("censustract", "12345678901");
        let checked = check_fields(&location).unwrap();
        assert_eq!(
            (checked.censustract.as_str(), checked.censusyear.as_str()),
            ("123456789.01", CENSUS_YEAR)
        );
    }
}
