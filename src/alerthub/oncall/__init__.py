"""Who is on call: rotations, restriction layers, overrides, calendar feeds; pure, between pipeline/ and delivery/."""
