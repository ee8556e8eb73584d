//! Fills a course snippet's `{host}`, `{port}`, `{ws_url}` and `{username}` with this broker's details.

/// The values a snippet's placeholders stand for.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Placeholders {
    pub host: String,
    pub port: u16,
    /// e.g. `ws://192.168.1.20:9001/mqtt`; empty when WebSocket is off.
    pub ws_url: String,
    /// The learner's user name, or a stand-in such as `student01` when sign-in is on.
    pub username: String,
}

/// The template with every known placeholder replaced; unknown `{…}` text is left as it is.
pub fn fill_placeholders(template: &str, values: &Placeholders) -> String {
    template
        .replace("{host}", &values.host)
        .replace("{port}", &values.port.to_string())
        .replace("{ws_url}", &values.ws_url)
        .replace("{username}", &values.username)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fills_every_known_placeholder_and_leaves_others() {
        let values = Placeholders {
            host: "10.0.0.5".into(),
            port: 1883,
            ws_url: "ws://10.0.0.5:9001/mqtt".into(),
            username: "student07".into(),
        };
        assert_eq!(
            fill_placeholders(
                "mosquitto_sub -h {host} -p {port} -u {username} -t '{topic}'",
                &values
            ),
            "mosquitto_sub -h 10.0.0.5 -p 1883 -u student07 -t '{topic}'"
        );
        assert_eq!(
            fill_placeholders("{ws_url}", &values),
            "ws://10.0.0.5:9001/mqtt"
        );
    }
}
