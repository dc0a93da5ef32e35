import { z } from "zod";

export const testProviderConnectionSchema = z.object({});
