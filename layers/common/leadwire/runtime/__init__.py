"""What a Lambda handler needs around the domain: settings, services, metrics, HTTP and stream events."""
