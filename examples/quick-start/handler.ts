import { type SharedTokenContext, salesforce, withSharedToken } from 'lambda-shared-token/middleware';

export const handler = withSharedToken(
  async (_event: unknown, context: SharedTokenContext) => {
    const response = await fetch(`${process.env.SALESFORCE_INSTANCE_URL}/services/data/v60.0/limits`, {
      headers: { authorization: `Bearer ${context.sharedToken.value}` },
    });
    return response.json();
  },
  { tokenType: 'salesforce', secretName: 'prod/orders/salesforce', provider: salesforce() },
);
