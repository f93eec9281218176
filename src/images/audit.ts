/** Image inspection for an audit: every image of the inventory's pods, by canonical reference. */
import type { ImageContent } from '../k8s/image-content.js';
import type { Inventory } from '../k8s/inventory.js';
import { inspectAll } from './inspect.js';
import { inspectOptions, type InspectSettings } from './setup.js';
import { inventoryTargets } from './targets.js';

export function inspectInventoryImages(inventory: Inventory, settings: InspectSettings): Promise<Map<string, ImageContent>> {
  return inspectAll(inventoryTargets(inventory), inspectOptions(settings));
}
