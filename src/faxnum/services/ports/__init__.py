"""What the use cases need from storage, one protocol module per business area; the
unit of work (`faxnum.services.unit_of_work`) gathers them."""
