import type { Settings } from "../settings.ts";
import type { TrainData } from "../data_source.ts";
import type { Recipe } from "./recipe.ts";
import { byolRecipe } from "./byol_recipe.ts";
import { simclrRecipe } from "./simclr_recipe.ts";
import { simclrv2Recipe } from "./simclrv2_recipe.ts";
import { supervisedRecipe } from "./supervised_recipe.ts";

/** The recipe of `--method`. */
export function recipeFor(settings: Settings, data: TrainData): Recipe {
  switch (settings.method) {
    case "simclr":
      return simclrRecipe(settings, data.train);
    case "byol":
      return byolRecipe(settings, data.train);
    case "supervised":
      return supervisedRecipe(settings, data);
    case "simclrv2":
      return simclrv2Recipe(settings, data);
  }
}
