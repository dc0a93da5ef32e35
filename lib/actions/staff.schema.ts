import { z } from "zod";
import { roles } from "@/lib/auth/permissions";

export const updateStaffAccessSchema = z.object({
  staffId: z.uuid({ message: "Unknown staff member." }),
  role: z.enum(roles, { message: "Choose a role." }),
  active: z.boolean(),
  reason: z.string().trim().min(3, "Say why (at least 3 characters).").max(500, "Keep the reason under 500 characters."),
});
export type UpdateStaffAccessInput = z.infer<typeof updateStaffAccessSchema>;
