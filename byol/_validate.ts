// The learner's boundary and state checks are the learners' shared ones in @selfsup/internal.
export {
  checkDistinct,
  checkEncoder,
  checkHead,
  checkImages,
  checkModelRecords,
  checkOptimizerRecords,
  checkStateHeader,
  checkUnitRange,
  checkViews,
  type EncoderShape,
  isDataset,
} from "@selfsup/internal";
