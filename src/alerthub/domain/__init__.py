"""Plain data types every box shares (alerts, signals, rules, silences, clock, durations). No I/O here;
imports nothing but itself and `errors`."""
