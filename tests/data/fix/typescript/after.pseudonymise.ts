// Browser analytics: every shape of call that `flowscan fix` has to edit.
import posthog from 'posthog-js';
import mixpanel from 'mixpanel-browser';
import { hashPii } from '@/lib/privacy';

interface User {
  id: string;
  email: string;
  firstName: string;
  phoneNumber: string;
  homeAddress: string;
}

export function track(user: User, plan: string, base: Record<string, string>) {
  mixpanel.track('Signed Up', { email: hashPii(user.email), plan });
  posthog.capture('order completed', {
    plan, // the plan is fine
    // contact details
    email: hashPii(user.email), // not needed for funnels
    phone: hashPii(user.phoneNumber)
  });
  posthog.capture('viewed', {
    name: hashPii(user.firstName),
    total: 10,
  });
  mixpanel.track('Visited', { ...base, address: hashPii(user.homeAddress) });
  const email = user.email;
  mixpanel.track('Greeted', { email, greeting: `Hello ${hashPii(user.firstName)}!` });
  const props = { email: user.email };
  mixpanel.track('Left', props); // the value is put in props above
}

export function subscribe(email: string, plan: string) {
  posthog.capture('subscribed', { email: hashPii(email), plan });
}
