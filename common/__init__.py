"""What every Industry Hub service and the gateway share."""
