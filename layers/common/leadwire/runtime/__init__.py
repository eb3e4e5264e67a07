"""What a Lambda handler needs around the domain: settings, services, HTTP and stream events."""
