import type { Settings } from "../settings.ts";
import type { TrainData } from "../data_source.ts";
import type { Recipe } from "./recipe.ts";
import { simclrRecipe } from "./simclr_recipe.ts";

/** The recipe of `--method`. */
export function recipeFor(settings: Settings, data: TrainData): Recipe {
  switch (settings.method) {
    case "simclr":
      return simclrRecipe(settings, data.train);
    default:
      throw new Error(`--method ${settings.method} is not built yet`);
  }
}
