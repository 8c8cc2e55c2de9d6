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
  // flowscan: ignore[FS102] analytics id only, agreed with privacy team
  mixpanel.track('Signed Up', { email: user.email, plan });
  // flowscan: ignore[FS102] analytics id only, agreed with privacy team
  posthog.capture('order completed', {
    plan, // the plan is fine
    // contact details
    email: user.email, // not needed for funnels
    phone: user.phoneNumber
  });
  // flowscan: ignore[FS102] analytics id only, agreed with privacy team
  posthog.capture('viewed', {
    name: user.firstName,
    total: 10,
  });
  // flowscan: ignore[FS102] analytics id only, agreed with privacy team
  mixpanel.track('Visited', { ...base, address: user.homeAddress });
  const email = user.email;
  // flowscan: ignore[FS102] analytics id only, agreed with privacy team
  mixpanel.track('Greeted', { email, greeting: `Hello ${user.firstName}!` });
  const props = { email: user.email };
  // flowscan: ignore[FS102] analytics id only, agreed with privacy team
  mixpanel.track('Left', props); // the value is put in props above
}

export function subscribe(email: string, plan: string) {
  // flowscan: ignore[FS102] analytics id only, agreed with privacy team
  posthog.capture('subscribed', { email, plan });
}
