import { z } from "zod";
import { API_TOKEN_SCOPES } from "@/lib/server/api-auth";

export const createApiTokenSchema = z.object({
  name: z.string().trim().min(3, "Name the token (at least 3 characters), e.g. the system that uses it.").max(100, "Keep the name under 100 characters."),
  scopes: z.array(z.enum(API_TOKEN_SCOPES)).min(1, "Choose at least one scope."),
});
export type CreateApiTokenInput = z.infer<typeof createApiTokenSchema>;

export const revokeApiTokenSchema = z.object({
  tokenId: z.uuid({ message: "Unknown API token." }),
});
export type RevokeApiTokenInput = z.infer<typeof revokeApiTokenSchema>;
