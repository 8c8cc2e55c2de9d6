"""Signup analytics: every shape of call that `flowscan fix` has to edit."""
import os

import segment.analytics as analytics
from customerio import CustomerIO
from mixpanel import Mixpanel

mp = Mixpanel(os.environ["MIXPANEL_TOKEN"])
cio = CustomerIO(os.environ["CIO_SITE_ID"], os.environ["CIO_API_KEY"])


def signup(user, plan):
    mp.track("anonymous", "Signed Up", {"plan": plan})
    analytics.identify(
        "anonymous",
        {
            "plan": plan,  # the plan is fine
            # contact details
        },
    )
    analytics.track("anonymous", "Order Completed", {
        "total": 10,
    })
    cio.identify(id="anonymous", plan=plan)
    analytics.track("anonymous", "Viewed", dict(plan=plan))
    analytics.track("anonymous", "Greeted", {"plan": plan,})
    defaults = {"source": "web"}
    mp.track("anonymous", "Visited", {**defaults})
    props = {"email": user.email}
    mp.track("anonymous", "Left", props)  # the value is put in props above
    return plan


def subscribe(email, plan):
    analytics.identify("anonymous", {"plan": plan})
