//! What a client may send after its CONNECT, judged from each packet's fixed header alone (first
//! byte and remaining length), so the front door can cut a client off before rumqttd reads a packet
//! that would make it panic or that MQTT says must end the connection.

/// Fixed-header checks for the client-to-broker direction of one connection.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct ClientPacketRules {
    /// The CONNECT has gone by; a second one is a protocol violation.
    connect_seen: bool,
}

impl ClientPacketRules {
    /// Says why a packet with this first byte and remaining length must not reach the broker, or
    /// `None` when its header is fine (its body is still rumqttd's to judge).
    ///
    /// Why these matter beyond the letter of MQTT 3.1.1 §2.2 and 5 §2.1: rumqttd 0.20's MQTT 5
    /// decoder reaches `unreachable!()` on a CONNACK or UNSUBACK with a body, and the panicking link
    /// leaves state behind that poisons the whole listener when the same client id returns.
    pub fn violation(&mut self, first_byte: u8, remaining_len: usize) -> Option<&'static str> {
        let flags = first_byte & 0x0F;
        match first_byte >> 4 {
            0 => Some("packet type 0 is reserved"),
            1 if self.connect_seen => Some("a second CONNECT on one connection"),
            1 if flags != 0 => Some("CONNECT with reserved header flags set"),
            1 => {
                self.connect_seen = true;
                None
            }
            2 => Some("a client sent CONNACK, which only a broker sends"),
            9 => Some("a client sent SUBACK, which only a broker sends"),
            11 => Some("a client sent UNSUBACK, which only a broker sends"),
            13 => Some("a client sent PINGRESP, which only a broker sends"),
            3 if flags & 0b0110 == 0b0110 => Some("PUBLISH with QoS 3"),
            4 | 5 | 7 if flags != 0 => Some("an acknowledgement with reserved header flags set"),
            6 if flags != 0b0010 => Some("PUBREL with wrong header flags"),
            8 if flags != 0b0010 => Some("SUBSCRIBE with wrong header flags"),
            10 if flags != 0b0010 => Some("UNSUBSCRIBE with wrong header flags"),
            // Packet id + one filter of length 0 + options: 5 bytes in 3.1.1, 6 in 5.
            8 if remaining_len < 5 => Some("SUBSCRIBE without any topic filter"),
            // Packet id + one filter of length 0: 4 bytes in 3.1.1, 5 in 5.
            10 if remaining_len < 4 => Some("UNSUBSCRIBE without any topic filter"),
            12 if flags != 0 || remaining_len != 0 => Some("PINGREQ with flags or a body"),
            14 if flags != 0 => Some("DISCONNECT with reserved header flags set"),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn after_connect() -> ClientPacketRules {
        let mut rules = ClientPacketRules::default();
        assert_eq!(rules.violation(0x10, 20), None);
        rules
    }

    #[test]
    fn what_clients_send_passes() {
        let mut rules = after_connect();
        for (first, len) in [
            (0x30, 10),
            (0x32, 12),
            (0x3D, 12), // QoS 2, retain, dup
            (0x40, 2),
            (0x50, 2),
            (0x62, 2),
            (0x70, 2),
            (0x82, 8),
            (0xA2, 7),
            (0xC0, 0),
            (0xE0, 0),
            (0xE0, 2), // MQTT 5 DISCONNECT with a reason code
            (0xF0, 0), // MQTT 5 AUTH: rumqttd refuses it by itself
        ] {
            assert_eq!(rules.violation(first, len), None, "{first:#04X}");
        }
    }

    #[test]
    fn server_packets_reserved_flags_and_second_connects_are_violations() {
        let mut rules = after_connect();
        for (first, len) in [
            (0x00, 0),
            (0x10, 20),
            (0x20, 2),
            (0x90, 3),
            (0xB0, 2),
            (0xD0, 0),
            (0x36, 10),
            (0x41, 2),
            (0x60, 2),
            (0x80, 8),
            (0xA0, 7),
            (0x82, 2),
            (0xA2, 3),
            (0xC0, 2),
            (0xE1, 0),
        ] {
            assert!(rules.violation(first, len).is_some(), "{first:#04X} {len}");
        }
    }

    #[test]
    fn a_connect_with_header_flags_is_a_violation() {
        assert!(ClientPacketRules::default().violation(0x11, 20).is_some());
    }
}
