import { KitlabRequestError } from '../../request';

/** What a rejected call threw, as the client's error type (the test fails if the call succeeded). */
export async function rejection(
  promise: Promise<unknown>
): Promise<KitlabRequestError> {
  try {
    await promise;
  } catch (error) {
    expect(error).toBeInstanceOf(KitlabRequestError);
    return error as KitlabRequestError;
  }
  throw new Error('the call succeeded');
}
