"""Signup analytics: every shape of call that `flowscan fix` has to edit."""
import os

import segment.analytics as analytics
from customerio import CustomerIO
from mixpanel import Mixpanel
from myapp.privacy import hash_pii

mp = Mixpanel(os.environ["MIXPANEL_TOKEN"])
cio = CustomerIO(os.environ["CIO_SITE_ID"], os.environ["CIO_API_KEY"])


def signup(user, plan):
    mp.track("anonymous", "Signed Up", {"email": hash_pii(user.email), "plan": plan})
    analytics.identify(
        "anonymous",
        {
            "plan": plan,  # the plan is fine
            # contact details
            "email": hash_pii(user.email),  # not needed for funnels
            "phone": hash_pii(user.phone_number)
        },
    )
    analytics.track("anonymous", "Order Completed", {
        "name": hash_pii(user.full_name),
        "total": 10,
    })
    cio.identify(id="anonymous", email=hash_pii(user.email), plan=plan)
    analytics.track("anonymous", "Viewed", dict(plan=plan, address=hash_pii(user.home_address)))
    analytics.track("anonymous", "Greeted", {"greeting": f"Hello {hash_pii(user.first_name)}!", "plan": plan,})
    defaults = {"source": "web"}
    mp.track("anonymous", "Visited", {**defaults, "email": hash_pii(user.email)})
    props = {"email": user.email}
    mp.track("anonymous", "Left", props)  # the value is put in props above
    return plan


def subscribe(email, plan):
    analytics.identify("anonymous", {"email": hash_pii(email), "plan": plan})
