/** What the ImageNet models share: 224x224 RGB input, 1000 classes, torchvision's normalization. */
import type { Architecture } from './architecture.js';

export const IMAGENET: Omit<Architecture, 'build'> = {
  input: [3, 224, 224],
  labels: Array.from({ length: 1000 }, (_, i) => `class${i}`),
  preprocess: { scale: 1 / 255, mean: [0.485, 0.456, 0.406], std: [0.229, 0.224, 0.225] },
};
