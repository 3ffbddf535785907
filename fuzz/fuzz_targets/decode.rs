//! Any bytes, as an event (when they are JSON) and as the body of a retry message: the decoders
//! must not panic, and a refusal must say what is wrong in a bounded message.
#![no_main]

use libfuzzer_sys::fuzz_target;
use macie_invite::event::decode;
use macie_invite::message::RetryMessage;

fuzz_target!(|data: &[u8]| {
    if let Ok(event) = serde_json::from_slice::<serde_json::Value>(data) {
        if let Err(error) = decode(event) {
            let message = error.to_string();
            assert!(message.len() >= 20 && message.len() <= 4_000, "{message}");
        }
    }
    if let Ok(body) = std::str::from_utf8(data) {
        if let Err(error) = RetryMessage::decode(body, "fuzz") {
            let message = error.to_string();
            assert!(message.len() >= 20 && message.len() <= 4_000, "{message}");
        }
    }
});
