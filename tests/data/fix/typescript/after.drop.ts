// Browser analytics: every shape of call that `flowscan fix` has to edit.
import posthog from 'posthog-js';
import mixpanel from 'mixpanel-browser';

interface User {
  id: string;
  email: string;
  firstName: string;
  phoneNumber: string;
  homeAddress: string;
}

export function track(user: User, plan: string, base: Record<string, string>) {
  mixpanel.track('Signed Up', { plan });
  posthog.capture('order completed', {
    plan, // the plan is fine
    // contact details
  });
  posthog.capture('viewed', {
    total: 10,
  });
  mixpanel.track('Visited', { ...base });
  const email = user.email;
  mixpanel.track('Greeted', { email });
  const props = { email: user.email };
  mixpanel.track('Left', props); // the value is put in props above
}

export function subscribe(email: string, plan: string) {
  posthog.capture('subscribed', { plan });
}
