from django.shortcuts import redirect


def home(request):  # type: ignore[no-untyped-def]
    # A collector's day starts on the worklist; everyone else on the customers.
    if request.user.has_perm("collections.view_worklist"):
        return redirect("collections:worklist")
    return redirect("ledger:customer_list")
