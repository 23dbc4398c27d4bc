from django.shortcuts import redirect


def home(request):  # type: ignore[no-untyped-def]
    # The collector's worklist becomes the home page when it exists; until then, the customers.
    return redirect("ledger:customer_list")
