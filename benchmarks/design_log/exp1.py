import time,sys,json; sys.path.insert(0,'/work/main')
from common import *
from ganbalance import ConditionalGAN
from ganbalance.augment import random_affine
import matplotlib; matplotlib.use("Agg"); import matplotlib.pyplot as plt
torch.set_num_threads(1)
import ganbalance.networks as N
if len(sys.argv)>4: N.ImageReferenceGenerator.__init__.__defaults__ = tuple(json.loads(sys.argv[4]))
cfgs=json.loads(sys.argv[1]); seeds=[int(s) for s in sys.argv[2].split(",")]; tag=sys.argv[3]
def balance_with(X,y,fn):
    Xs=[X];ys=[y]
    for c in [1,2,3]:
        k=300-(y==c).sum()
        if k>0: Xs.append(fn(X[y==c],c,k)); ys.append(np.full(k,c))
    return np.concatenate(Xs),np.concatenate(ys)
def ros(Xc,c,k): return Xc[np.random.default_rng(0).integers(len(Xc),size=k)]
def aff(Xc,c,k):
    g=torch.Generator().manual_seed(0); x=torch.tensor(Xc[np.random.default_rng(0).integers(len(Xc),size=k)]/127.5-1).float().view(-1,1,28,28)
    return ((random_affine(x,generator=g).view(k,-1).numpy()+1)*127.5).clip(0,255)
res={}
for name,cfg in cfgs.items():
    accs=[];recs=[];times=[]
    for s in seeds:
        X,y=protocol(s)
        t=time.time()
        if name=="none": Xb,yb=X,y
        elif name=="ros": Xb,yb=balance_with(X,y,ros)
        elif name=="affine": Xb,yb=balance_with(X,y,aff)
        else:
            g=ConditionalGAN(image_shape=(1,28,28),random_state=s,device="cpu",**cfg).fit(X,y)
            Xb,yb=balance_with(X,y,lambda Xc,c,k: g.sample(k,y=c))
            if s==seeds[0]:
                sm=g.sample(64,y=1,random_state=0)
                fig,ax=plt.subplots(4,16,figsize=(16,4))
                for i,a in enumerate(ax.flat[:64]): a.imshow(sm[i].reshape(28,28),cmap="gray"); a.axis("off")
                plt.savefig(f"samples_{tag}_{name}.png",dpi=50); plt.close()
        ft=time.time()-t
        ba,r1=train_eval(Xb,yb,s); accs.append(ba); recs.append(r1); times.append(ft)
        print(name,s,f"bacc={ba:.4f} rec1={r1:.3f} fit={ft:.1f}s",flush=True)
    res[name]=(np.mean(accs),np.std(accs),np.mean(recs),np.mean(times))
    print("==",name,f"bacc {np.mean(accs):.4f}±{np.std(accs):.4f} rec1 {np.mean(recs):.3f} t {np.mean(times):.1f}",flush=True)
json.dump(res,open(f"res_{tag}.json","w"))
