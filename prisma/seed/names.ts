// Invented company names from word lists; duplicates get a distinguishing suffix.
import type { Rng } from "./prng";

const PREFIXES = [
  "Northwind", "Bluefin", "Copperleaf", "Granite", "Silverline", "Harbor", "Redwood", "Lumen", "Quartz", "Ember",
  "Juniper", "Atlas", "Kestrel", "Marlin", "Nimbus", "Orchid", "Pinecone", "Riverstone", "Saffron", "Tidewater",
  "Upland", "Vantage", "Willow", "Zephyr", "Amberly", "Brightwater", "Cobalt", "Driftwood", "Evergreen", "Foxglove",
  "Glacier", "Hollow Oak", "Ironbark", "Jasper", "Keystone", "Larkspur", "Meridian", "Nettle", "Oakridge", "Pebble",
  "Quill", "Rosewood", "Starling", "Thistle", "Umber", "Verdant", "Wrenfield", "Yarrow", "Alder", "Birchwood",
  "Cinder", "Dovetail", "Fernbrook", "Gale", "Heron", "Indigo", "Kelp", "Lodestar", "Mosaic", "Northstar",
  "Obsidian", "Pioneer", "Ravenwood", "Sable", "Tamarack", "Vireo", "Westbrook", "Aurora", "Beacon", "Cascade",
  "Delta Fox", "Elmstead", "Firefly", "Goldcrest", "Highmoor", "Ivory Gate", "Lanternfish", "Moonbeam", "Nightjar", "Outpost",
];

const SUFFIXES = [
  "Analytics", "Robotics", "Labs", "Systems", "Software", "Health", "Logistics", "Media", "Studios", "Foods",
  "Energy", "Bio", "Data", "Networks", "Payments", "Security", "Cloud", "Games", "Mobility", "Learning",
  "Travel", "Retail", "Insights", "Devices", "Works", "Dynamics", "Ventures", "Partners", "Apps", "Commerce",
  "Finance", "Maps", "Markets", "Metrics", "Motion", "Pharma", "Sensors", "Social", "Supply", "Voice",
];

const DISAMBIGUATORS = ["Labs", "II", "Group", "Co", "Digital", "Global", "HQ", "III", "Collective", "Tech"];

const slug = (s: string) => s.toLowerCase().replace(/[^a-z0-9]+/g, "-").replace(/^-|-$/g, "");

export class CompanyNamer {
  private used = new Set<string>();

  /** A unique invented name and a matching unique `.example` billing email. */
  next(rng: Rng): { name: string; email: string } {
    const base = `${rng.pick(PREFIXES)} ${rng.pick(SUFFIXES)}`;
    let name = base;
    for (let i = 0; this.used.has(name); i++) {
      name = i < DISAMBIGUATORS.length ? `${base} ${DISAMBIGUATORS[i]}` : `${base} ${i + 1}`;
    }
    this.used.add(name);
    return { name, email: `billing@${slug(name)}.example` };
  }
}
